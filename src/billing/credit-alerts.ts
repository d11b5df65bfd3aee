import { sql } from 'kysely';
import type { CreditsSnapshot } from '../credits/snapshot';
import type { Db } from '../db/pool';
import { requireNonEmpty } from '../credits/amounts';
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

/** PUT /v1/credits/alerts: the org's threshold, or null to switch alerts off. */
export async function setCreditAlert(
  db: Db,
  orgId: string,
  threshold: unknown,
): Promise<{ thresholdCredits: number | null }> {
  requireNonEmpty('orgId', orgId);
  const thresholdCredits = requireAlertThreshold(threshold);
  const org = await db.selectFrom('organizations').select('id').where('id', '=', orgId).executeTakeFirst();
  if (!org) throw notFound('organization', orgId);
  if (thresholdCredits === null) {
    await db.deleteFrom('credit_alerts').where('org_id', '=', orgId).execute();
  } else {
    await db
      .insertInto('credit_alerts')
      .values({ org_id: orgId, threshold_credits: thresholdCredits })
      // A new threshold may fire again this period: the producer asked to hear about this one.
      .onConflict((oc) =>
        oc.column('org_id').doUpdateSet({
          threshold_credits: thresholdCredits,
          fired_for_period: null,
          updated_at: new Date(),
        }),
      )
      .execute();
  }
  return { thresholdCredits };
}
