import type { Db } from '../db/pool';
import { notFound } from '../errors';
import { requireAlertThreshold } from './alerts';

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
  await db.transaction().execute(async (trx) => {
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
