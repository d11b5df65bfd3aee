import type { Db } from '../db/pool';
import type { BillingChargesTable } from '../db/schema';
import { DomainError } from '../errors';
import type { ChargeKind, ChargeStatus } from './statuses';
import type { Selectable } from 'kysely';

/**
 * billing_charges: one row per business key, opened before Stripe is asked and settled from Stripe's
 * answer. A retried activity finds its row; the same key asked for another amount is a bug, refused.
 */

export interface ChargeLine {
  description: string;
  amountCents: number;
}

export interface OpenChargeInput {
  orgId: string;
  businessKey: string;
  kind: ChargeKind;
  amountCents: number;
  lines: ChargeLine[];
  /** Business time, from the workflow clock. */
  at: Date;
}

export type ChargeRow = Selectable<BillingChargesTable>;

export async function openCharge(db: Db, input: OpenChargeInput): Promise<ChargeRow> {
  await db
    .insertInto('billing_charges')
    .values({
      business_key: input.businessKey,
      org_id: input.orgId,
      kind: input.kind,
      amount_cents: input.amountCents,
      lines: JSON.stringify(input.lines),
      status: 'pending',
      charged_at: input.at,
    })
    .onConflict((oc) => oc.column('business_key').doNothing())
    .execute();
  const row = await db
    .selectFrom('billing_charges')
    .selectAll()
    .where('business_key', '=', input.businessKey)
    .executeTakeFirstOrThrow();
  if (row.org_id !== input.orgId || row.kind !== input.kind || row.amount_cents !== input.amountCents) {
    throw new DomainError('VALIDATION_FAILED', `charge ${input.businessKey} was opened for another amount`, {
      businessKey: input.businessKey,
      existing: { kind: row.kind, amountCents: row.amount_cents },
      requested: { kind: input.kind, amountCents: input.amountCents },
    });
  }
  return row;
}

export interface SettleChargeInput {
  status: ChargeStatus;
  attempts: number;
  paymentIntentId?: string | null;
  refundId?: string | null;
  declineCode?: string | null;
}

/** Records Stripe's answer. A succeeded charge stays succeeded whatever a late retry reports. */
export async function settleCharge(db: Db, businessKey: string, s: SettleChargeInput): Promise<void> {
  await db
    .updateTable('billing_charges')
    .set({
      status: s.status,
      attempts: s.attempts,
      payment_intent_id: s.paymentIntentId ?? null,
      refund_id: s.refundId ?? null,
      decline_code: s.declineCode ?? null,
      updated_at: new Date(),
    })
    .where('business_key', '=', businessKey)
    .where('status', '<>', 'succeeded')
    .execute();
}

export async function listCharges(db: Db, orgId: string): Promise<ChargeRow[]> {
  return db
    .selectFrom('billing_charges')
    .selectAll()
    .where('org_id', '=', orgId)
    .orderBy('charged_at')
    .orderBy('created_at')
    .execute();
}

/**
 * The org's paid subscription charges, newest first, with what is left to refund of each: a refund is
 * taken from the most recent payments, as a finance team would expect to read it.
 */
export async function refundablePayments(
  db: Db,
  orgId: string,
): Promise<Array<{ paymentIntentId: string; refundableCents: number }>> {
  const rows = await db
    .selectFrom('billing_charges')
    .select(['kind', 'amount_cents', 'payment_intent_id', 'status'])
    .where('org_id', '=', orgId)
    .where('status', '=', 'succeeded')
    .orderBy('charged_at', 'desc')
    .execute();
  const refunded = new Map<string, number>();
  for (const r of rows) {
    if (r.kind === 'refund' && r.payment_intent_id) {
      refunded.set(r.payment_intent_id, (refunded.get(r.payment_intent_id) ?? 0) + r.amount_cents);
    }
  }
  return rows
    .filter((r) => r.kind !== 'refund' && r.payment_intent_id)
    .map((r) => ({
      paymentIntentId: r.payment_intent_id!,
      refundableCents: r.amount_cents - (refunded.get(r.payment_intent_id!) ?? 0),
    }))
    .filter((p) => p.refundableCents > 0);
}
