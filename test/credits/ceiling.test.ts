import { describe, expect, it } from 'vitest';
import { MAX_CREDITS_PER_OPERATION } from '../../src/credits/amounts';
import { actualCostCeiling, DEFAULT_CEILING_MULTIPLE, requirePlausibleCost } from '../../src/credits/ceiling';
import { DomainError } from '../../src/errors';

describe('actual cost ceiling', () => {
  it('defaults to a multiple of the estimate, and the catalog value wins where set', () => {
    expect(DEFAULT_CEILING_MULTIPLE).toBe(10);
    expect(actualCostCeiling(120, null)).toBe(1200);
    expect(actualCostCeiling(120, 300)).toBe(300);
  });

  it('never exceeds what one ledger operation accepts', () => {
    expect(actualCostCeiling(MAX_CREDITS_PER_OPERATION / 2, null)).toBe(MAX_CREDITS_PER_OPERATION);
  });

  it('accepts a cost at the ceiling and refuses one credit more with a stable code', () => {
    expect(() => requirePlausibleCost(1200, 1200, 'auto')).not.toThrow();
    let err: unknown;
    try {
      requirePlausibleCost(1201, 1200, 'auto');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({
      code: 'ACTUAL_COST_IMPLAUSIBLE',
      httpStatus: 422,
      details: { actualCredits: 1201, maxActualCredits: 1200, format: 'auto' },
    });
  });
});
