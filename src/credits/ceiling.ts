import { DomainError } from '../errors';
import { MAX_CREDITS_PER_OPERATION } from './amounts';

/**
 * A completion may charge more than its estimate (the cost is charged in full, never dropped), but not
 * without bound: past the format's ceiling the cost is implausible, most likely a pipeline bug, and is
 * refused while the hold stays in place for a valid completion, a failure or the hold timeout.
 *
 * The ceiling is `generation_formats.max_actual_credits`, or, where the catalog leaves it empty, this
 * multiple of the format's estimate: generous enough for a generation that ran long, small enough that a
 * mistaken unit (cents for credits, a timestamp for a count) cannot bill a customer.
 */
export const DEFAULT_CEILING_MULTIPLE = 10;

export function actualCostCeiling(estimatedCredits: number, maxActualCredits: number | null): number {
  return Math.min(MAX_CREDITS_PER_OPERATION, maxActualCredits ?? estimatedCredits * DEFAULT_CEILING_MULTIPLE);
}

export function requirePlausibleCost(actualCredits: number, ceiling: number, format: string): void {
  if (actualCredits <= ceiling) return;
  throw new DomainError(
    'ACTUAL_COST_IMPLAUSIBLE',
    `actualCredits ${actualCredits} is above the ${format} ceiling of ${ceiling} credits; the hold stays in place`,
    { field: 'actualCredits', actualCredits, maxActualCredits: ceiling, format },
  );
}
