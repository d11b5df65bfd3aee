import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCapture } from '../../src/credits/capture';
import { captureCredits, reserveCredits } from '../../src/credits/ledger';
import { findDrift } from '../../src/credits/reconcile';
import { newId } from '../../src/ids';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());

/** A small deterministic PRNG, so a failure names a case that can be replayed. */
function lcg(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
}

describe('credits_capture (SQL) and planCapture (TypeScript)', () => {
  it('split the same way on 60 random balances, holds and costs', async () => {
    const rnd = lcg(20261121);
    for (let i = 0; i < 60; i++) {
      const tier = rnd(2) === 0 ? 'plus' : 'free';
      const prepaid = rnd(300);
      const { orgId, projectId, credits } = await makeOrg(t.db, { tier, prepaid: prepaid || undefined });
      const other = rnd(2) === 0 ? 'slideshow_builder' : undefined;
      if (other) await reserveCredits(t.db, { orgId, projectId, generationId: newId('gen'), format: other });
      const generationId = newId('gen');
      const r = await reserveCredits(t.db, { orgId, projectId, generationId, format: 'slideshow_remix' });
      if (r.status !== 'reserved') continue;
      const actual = rnd(400);
      const expected = planCapture({
        includedRemaining: r.credits.includedRemaining,
        prepaidBalance: r.credits.prepaidBalance,
        reservedCredits: r.credits.reservedCredits,
        hold: r.reservedCredits,
        actual,
        overageAllowed: tier === 'plus',
      });
      const got = await captureCredits(t.db, { orgId, generationId, actualCredits: actual });
      expect({ case: i, ...got.charge }).toEqual({ case: i, ...expected, actual, hold: 50 });
      expect(got.credits.balance).toBe(
        credits.balance + prepaid - expected.fromIncluded - expected.fromPrepaid,
      );
    }
    expect(await findDrift(t.db)).toEqual([]);
  });
});
