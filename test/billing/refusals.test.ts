import { describe, expect, it } from 'vitest';
import { planChange } from '../../src/billing/changes';
import { refusalAt } from '../../src/billing/refusals';
import { d, expectRefusal, subscription } from './support';

describe('a change asked for while a renewal is being recorded', () => {
  it('is answered "retry" (503 ENGINE_UNAVAILABLE, renewal_pending), not a fault', () => {
    const current = subscription();
    const pastTheEnd = new Date(current.period.end.getTime() + 1000);
    const err = expectRefusal(
      () => refusalAt(current.period, pastTheEnd, () => planChange(current, { tier: 'team' }, pastTheEnd)),
      'ENGINE_UNAVAILABLE',
      { reason: 'renewal_pending' },
    );
    expect(err.httpStatus).toBe(503);
  });

  it('leaves every other answer alone', () => {
    const current = subscription();
    const at = d('2026-03-15T12:00:00Z');
    expect(refusalAt(current.period, at, () => planChange(current, { tier: 'team' }, at)).kind).toBe(
      'applied_now',
    );
    expectRefusal(
      () => refusalAt(current.period, at, () => planChange(current, { tier: 'pro' }, at)),
      'PLAN_UNCHANGED',
    );
  });
});
