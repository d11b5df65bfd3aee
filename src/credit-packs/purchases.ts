import { IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN, requireNonEmpty } from '../credits/amounts';
import { grantCredits } from '../credits/ledger';
import { findPack, priceOf } from './catalog';
import type { CreditsSnapshot } from '../credits/snapshot';
import type { Db } from '../db/pool';
import type { CreditPackPurchase, PurchaseStatus } from '../db/schema';
import { DomainError, invalid, notFound } from '../errors';
import { creditPackGrantKey, newPurchaseId } from './ids';
import { packDiscountBpsOf } from './prices';

/**
 * The credit_pack_purchases rows: opened before anything is charged, settled exactly once. Every query
 * is scoped by org, so another org's purchase id is simply not found.
 */

/** Stripe refuses card charges under $0.50; refuse such a price before writing anything. */
export const MIN_CHARGE_CENTS = 50;

/** The rule of the Idempotency-Key header it usually comes from. */
const IDEMPOTENCY_KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);

export interface OpenPurchaseInput {
  orgId: string;
  packId: string;
  idempotencyKey: string;
}

/**
 * The purchase for (org, idempotency key), created on first sight with the pack's price for the org's
 * tier at that moment. A repeat with the same key returns the same row (and so the same purchase id and
 * workflow); the same key for another pack is refused and writes nothing.
 */
/**
 * The purchase an idempotency key names, opened if it is new. `replayed`: it existed before this call
 * (a retry of the same request), so the answer the caller gets is the first one again.
 */
export async function openCreditPackPurchase(
  db: Db,
  input: OpenPurchaseInput,
): Promise<CreditPackPurchase & { replayed: boolean }> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const pack = findPack(input.packId);
  const k = input.idempotencyKey;
  if (typeof k !== 'string' || !IDEMPOTENCY_KEY.test(k) || k.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    throw invalid(
      'idempotencyKey',
      `must be 1-${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters without spaces`,
    );
  }
  const key = input.idempotencyKey;
  const price = priceOf(pack, await packDiscountBpsOf(db, orgId));
  if (price.amountCents < MIN_CHARGE_CENTS) {
    throw invalid('packId', `costs ${price.amountCents} cents after discount, below the minimum card charge`);
  }

  const inserted = await db
    .insertInto('credit_pack_purchases')
    .values({
      id: newPurchaseId(),
      org_id: orgId,
      idempotency_key: key,
      pack_id: pack.id,
      credits: pack.credits,
      list_price_cents: price.listPriceCents,
      discount_bps: price.discountBps,
      amount_cents: price.amountCents,
    })
    .onConflict((oc) => oc.columns(['org_id', 'idempotency_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  const row = await db
    .selectFrom('credit_pack_purchases')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('idempotency_key', '=', key)
    .executeTakeFirstOrThrow();
  if (row.pack_id !== pack.id) {
    throw new DomainError(
      'IDEMPOTENCY_KEY_REUSED',
      `idempotency key ${key} was used for another credit pack`,
      {
        key,
        purchaseId: row.id,
        packId: row.pack_id,
      },
    );
  }
  return { ...row, replayed: !inserted };
}

export async function loadPurchase(db: Db, orgId: string, purchaseId: string): Promise<CreditPackPurchase> {
  requireNonEmpty('orgId', orgId);
  requireNonEmpty('purchaseId', purchaseId);
  const row = await db
    .selectFrom('credit_pack_purchases')
    .selectAll()
    .where('id', '=', purchaseId)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  if (!row) throw notFound('credit pack purchase', purchaseId);
  return row;
}

/** The public view of a purchase (GET /v1/credit-packs/:purchaseId). */
export interface PurchaseView {
  purchaseId: string;
  packId: string;
  credits: number;
  listPriceCents: number;
  discountBps: number;
  amountCents: number;
  status: PurchaseStatus;
  paymentIntentId: string | null;
  declineCode: string | null;
  createdAt: string;
  settledAt: string | null;
}

export async function getCreditPackPurchase(
  db: Db,
  orgId: string,
  purchaseId: string,
): Promise<PurchaseView> {
  const row = await loadPurchase(db, orgId, purchaseId);
  return {
    purchaseId: row.id,
    packId: row.pack_id,
    credits: row.credits,
    listPriceCents: row.list_price_cents,
    discountBps: row.discount_bps,
    amountCents: row.amount_cents,
    status: row.status,
    paymentIntentId: row.payment_intent_id,
    declineCode: row.decline_code,
    createdAt: row.created_at.toISOString(),
    settledAt: row.settled_at?.toISOString() ?? null,
  };
}

/**
 * Remembers which PaymentIntent paid for the purchase as soon as Stripe names it, so a later
 * `charge.refunded` (whose charge carries no business key) can still be traced to the purchase.
 */
export async function recordPaymentIntent(
  db: Db,
  purchaseId: string,
  paymentIntentId: string,
): Promise<void> {
  await db
    .updateTable('credit_pack_purchases')
    .set({ payment_intent_id: paymentIntentId, updated_at: new Date() })
    .where('id', '=', purchaseId)
    .where('payment_intent_id', 'is', null)
    .execute();
}

export interface CreditPackPurchaseResult {
  purchaseId: string;
  packId: string;
  status: 'succeeded';
  creditsGranted: number;
  amountCents: number;
  listPriceCents: number;
  discountBps: number;
  paymentIntentId: string;
  /** The org's credits right after the grant (the GET /v1/credits shape). */
  credits: CreditsSnapshot;
}

/**
 * Grants the pack's prepaid credits and marks the purchase succeeded, in one transaction. Idempotent: the
 * grant's key is the purchase's, so a repeat (a retried activity whose first commit went unreported)
 * adds no ledger row and answers with the same figures.
 */
export async function completePurchase(
  db: Db,
  input: { orgId: string; purchaseId: string; paymentIntentId: string },
): Promise<CreditPackPurchaseResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const purchaseId = requireNonEmpty('purchaseId', input.purchaseId);
  const paymentIntentId = requireNonEmpty('paymentIntentId', input.paymentIntentId);
  return db.transaction().execute(async (trx) => {
    // Locked so two concurrent completions serialize here rather than race on the status update.
    const row = await trx
      .selectFrom('credit_pack_purchases')
      .selectAll()
      .where('id', '=', purchaseId)
      .where('org_id', '=', orgId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw notFound('credit pack purchase', purchaseId);
    // Both can only mean a bug: we never charge after marking a purchase failed, and charge once per key.
    if (row.status === 'failed') {
      throw new Error(`purchase ${row.id} is failed; refusing to grant for ${paymentIntentId}`);
    }
    if (row.payment_intent_id !== null && row.payment_intent_id !== paymentIntentId) {
      throw new Error(`purchase ${row.id} was paid by ${row.payment_intent_id}, not ${paymentIntentId}`);
    }
    const granted = await grantCredits(trx, {
      orgId: row.org_id,
      bucket: 'prepaid',
      credits: row.credits,
      idempotencyKey: creditPackGrantKey(row.id),
      reason: `credit pack ${row.pack_id}`,
    });
    if (row.status === 'pending') {
      const now = new Date();
      await trx
        .updateTable('credit_pack_purchases')
        .set({ status: 'succeeded', payment_intent_id: paymentIntentId, settled_at: now, updated_at: now })
        .where('id', '=', row.id)
        .execute();
    }
    return {
      purchaseId: row.id,
      packId: row.pack_id,
      status: 'succeeded',
      creditsGranted: row.credits,
      amountCents: row.amount_cents,
      listPriceCents: row.list_price_cents,
      discountBps: row.discount_bps,
      paymentIntentId,
      credits: granted.credits,
    };
  });
}

export interface FailPurchaseInput {
  orgId: string;
  purchaseId: string;
  declineCode: string | null;
  paymentIntentId: string | null;
  reason: string;
}

/** Marks the purchase failed; repeating it is harmless, failing a succeeded purchase is refused. */
export async function failPurchase(db: Db, input: FailPurchaseInput): Promise<void> {
  await loadPurchase(db, input.orgId, input.purchaseId);
  const now = new Date();
  const updated = await db
    .updateTable('credit_pack_purchases')
    .set((eb) => ({
      status: 'failed',
      decline_code: input.declineCode,
      failure_reason: input.reason.slice(0, 1000),
      payment_intent_id: eb.fn.coalesce('payment_intent_id', eb.val(input.paymentIntentId)),
      settled_at: eb.fn.coalesce('settled_at', eb.val(now)),
      updated_at: now,
    }))
    .where('id', '=', input.purchaseId)
    .where('org_id', '=', input.orgId)
    .where('status', '<>', 'succeeded')
    .executeTakeFirst();
  if (updated.numUpdatedRows === 0n)
    throw new Error(`purchase ${input.purchaseId} has succeeded; it cannot fail`);
}

/** The purchase a Stripe object belongs to, by our business key or, failing that, its PaymentIntent. */
export async function findPurchaseRef(
  db: Db,
  by: { purchaseId?: string | undefined; paymentIntentId?: string | null },
): Promise<{ orgId: string; purchaseId: string } | undefined> {
  let q = db.selectFrom('credit_pack_purchases').select(['id', 'org_id']);
  if (by.purchaseId) q = q.where('id', '=', by.purchaseId);
  else if (by.paymentIntentId) q = q.where('payment_intent_id', '=', by.paymentIntentId);
  else return undefined;
  const row = await q.executeTakeFirst();
  return row ? { orgId: row.org_id, purchaseId: row.id } : undefined;
}
