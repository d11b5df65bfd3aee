import { alertOnDebit } from '../src/billing/credit-alerts';
import type { Db } from '../src/db/pool';
import {
  captureCredits,
  releaseCredits,
  reserveCredits,
  type CaptureInput,
  type CaptureResult,
  type ReleaseInput,
  type ReleaseResult,
  type ReserveInput,
  type ReserveResult,
} from '../src/credits/ledger';
import { asActivity } from '../src/temporal/failures';

/**
 * Credit activities: each moves credits in exactly one database transaction, keyed by the generation
 * id (never the run id, which changes on continue-as-new), so a retry after a commit that was never
 * reported changes nothing and returns the same outcome.
 */
export function createGenerationActivities(db: Db) {
  return {
    reserveCredits: (input: ReserveInput): Promise<ReserveResult> =>
      asActivity(async () => {
        const result = await reserveCredits(db, input);
        if (result.status === 'reserved') await alertOnDebit(db, input.orgId, result.credits);
        return result;
      }),
    captureCredits: (input: CaptureInput): Promise<CaptureResult> =>
      asActivity(async () => {
        const result = await captureCredits(db, input);
        // A capture above its hold is a debit too; one within it gives back, and cannot cross downwards.
        if (result.charge.actual > result.charge.hold) {
          await alertOnDebit(db, input.orgId, result.credits);
        }
        return result;
      }),
    releaseCredits: (input: ReleaseInput): Promise<ReleaseResult> =>
      asActivity(() => releaseCredits(db, input)),
  };
}

export type GenerationActivities = ReturnType<typeof createGenerationActivities>;
