import { sql } from 'kysely';
import type { CreditsSnapshot } from '../credits/snapshot';
import type { Db } from '../db/pool';
import { inTransaction } from '../db/transaction';
import { notFound } from '../errors';
import { requireAlertThreshold } from './alerts';
import { creditAlertKey } from './ids';

/**
 * After a debit: the org's credit alert fires (./alerts.ts shouldFireCreditAlert, applied in SQL) in the
 * one statement that records the firing and writes the notification to the outbox, so two debits racing
 * past the threshold notify once. Costs one indexed UPDATE that matches nothing for an org without an
 * alert. Returns whether it fired.
 */
export async function alertOnDebit(db: Db, orgId: string, credits: CreditsSnapshot): Promise<boolean> {
  const period = credits.currentPeriod.start;
  const { rows } = await sql<{ id: number }>`
    WITH fired AS (
      UPDATE credit_alerts
         SET fired_for_period = ${period}, updated_at = now()
       WHERE org_id = ${orgId} AND threshold_credits > ${credits.available}
         AND fired_for_period IS DISTINCT FROM ${period}::timestamptz
      RETURNING threshold_credits)
    INSERT INTO notifications (org_id, kind, business_key, payload, created_at)
    SELECT ${orgId}, 'credit_alert', ${creditAlertKey(orgId, new Date(period))},
           jsonb_build_object('thresholdCredits', threshold_credits, 'availableCredits', ${credits.available}::bigint,
             'periodStart', ${period}::text),
           now()
      FROM fired
    ON CONFLICT (business_key) DO NOTHING
    RETURNING id`.execute(db);
  return rows.length > 0;
}

export interface CreditAlertSetting {
  organizationId: string;
  /** null: no alert. */
  thresholdCredits: number | null;
}

/**
 * Sets (or, with null, removes) the org's credit alert threshold (credit_alerts; ./alerts.ts decides
 * when it fires). A new threshold is a new alert: it may fire in the current period even if the old one
 * already did; the same threshold again changes nothing, so a repeated PUT never re-arms it.
 */
export async function setCreditAlert(
  db: Db,
  orgId: string,
  thresholdCredits: unknown,
): Promise<CreditAlertSetting> {
  const threshold = requireAlertThreshold(thresholdCredits);
  await inTransaction(db, async (trx) => {
    const org = await trx.selectFrom('organizations').select('id').where('id', '=', orgId).executeTakeFirst();
    if (!org) throw notFound('organization', orgId);
    if (threshold === null) {
      await trx.deleteFrom('credit_alerts').where('org_id', '=', orgId).execute();
      return;
    }
    await trx
      .insertInto('credit_alerts')
      .values({ org_id: orgId, threshold_credits: threshold, fired_for_period: null })
      .onConflict((oc) =>
        oc.column('org_id').doUpdateSet((eb) => ({
          threshold_credits: threshold,
          fired_for_period: eb
            .case()
            .when('credit_alerts.threshold_credits', '=', threshold)
            .then(eb.ref('credit_alerts.fired_for_period'))
            .else(null)
            .end(),
          updated_at: new Date(),
        })),
      )
      .execute();
  });
  return { organizationId: orgId, thresholdCredits: threshold };
}

export async function getCreditAlert(db: Db, orgId: string): Promise<CreditAlertSetting> {
  const row = await db
    .selectFrom('credit_alerts')
    .select('threshold_credits')
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  return { organizationId: orgId, thresholdCredits: row?.threshold_credits ?? null };
}
