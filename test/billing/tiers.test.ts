import { describe, expect, it } from 'vitest';
import { TIERS } from '../../src/db/seed/catalog';
import { isTierId, requireTier, tierFacts } from '../../src/billing/tiers';
import { expectRefusal } from './support';

describe('tiers', () => {
  it('reads allowances, overage and rollover from the catalog', () => {
    for (const row of TIERS) {
      expect(tierFacts(requireTier(row.id))).toEqual({
        id: row.id,
        name: row.name,
        includedCredits: row.included_credits_per_period,
        overageAllowed: row.overage_allowed,
        rolloverDays: row.rollover_days,
      });
    }
  });

  it('refuses an unknown tier with VALIDATION_FAILED naming the field and the tiers', () => {
    expect(isTierId('team')).toBe(true);
    for (const bad of ['enterprise', 'Team', '', 3, null, undefined, {}]) {
      expect(isTierId(bad)).toBe(false);
      expectRefusal(() => requireTier(bad), 'VALIDATION_FAILED', { field: 'tier' });
    }
    const err = expectRefusal(() => requireTier('gold', 'plan.tier'), 'VALIDATION_FAILED');
    expect(err.details).toMatchObject({
      field: 'plan.tier',
      tiers: expect.arrayContaining(['free', 'team']),
    });
  });
});
