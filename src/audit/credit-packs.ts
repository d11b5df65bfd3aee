import type { Db } from '../db/pool';
import type { AuditActor } from './actors';
import { recordAuditEvent } from './trail';

/**
 * POST /v1/credit-packs: the purchase the org asked for, recorded once it exists (whether its charge then
 * succeeds or is declined: the request itself is the action), under the purchase's id. The charge and the
 * grant happen in the credit-pack workflow and the ledger; this runs the purchase and records after it.
 */
export async function buyCreditPackAudited<R>(
  db: Db,
  by: AuditActor,
  orgId: string,
  idempotencyKey: string,
  buy: () => Promise<R>,
): Promise<R> {
  const outcome = await buy().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const purchase = await db
    .selectFrom('credit_pack_purchases')
    .select(['id', 'pack_id', 'credits', 'amount_cents', 'created_at'])
    .where('org_id', '=', orgId)
    .where('idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
  // Refused before a purchase was opened (an unknown pack, a bad key): nothing was asked of the card.
  if (purchase) {
    await recordAuditEvent(db, orgId, {
      actor: by,
      action: 'credit_pack.purchase_requested',
      key: purchase.id,
      after: {
        purchaseId: purchase.id,
        packId: purchase.pack_id,
        credits: purchase.credits,
        amountCents: purchase.amount_cents,
      },
      occurredAt: purchase.created_at,
    });
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
