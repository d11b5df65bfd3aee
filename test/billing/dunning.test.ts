import { describe, expect, it } from 'vitest';
import {
  afterFailedCharge,
  afterSuccessfulCharge,
  DEFAULT_RETRY_DAYS,
  nextRetryAt,
} from '../../src/billing/dunning';
import { d } from './support';

const failed = d('2026-06-01T10:00:00Z');

describe('dunning', () => {
  it('retries 1, 3 and 5 days after the first failure, then gives up', () => {
    expect(DEFAULT_RETRY_DAYS).toEqual([1, 3, 5]);
    expect([1, 2, 3, 4].map((n) => nextRetryAt(failed, n)?.toISOString() ?? null)).toEqual([
      '2026-06-02T10:00:00.000Z',
      '2026-06-04T10:00:00.000Z',
      '2026-06-06T10:00:00.000Z',
      null,
    ]);
  });

  it('keeps the org past_due while retries remain, and pauses it after the last failure', () => {
    expect(afterFailedCharge(failed, 1)).toEqual({
      status: 'past_due',
      nextRetryAt: d('2026-06-02T10:00:00Z'),
      attempt: 1,
    });
    expect(afterFailedCharge(failed, 3)).toMatchObject({ status: 'past_due', attempt: 3 });
    expect(afterFailedCharge(failed, 4)).toEqual({ status: 'paused', nextRetryAt: null });
  });

  it('restores active after a success', () => {
    expect(afterSuccessfulCharge()).toEqual({ status: 'active', nextRetryAt: null });
  });

  it('takes another schedule, and refuses one that does not move forward', () => {
    expect(nextRetryAt(failed, 2, [2, 7])).toEqual(d('2026-06-08T10:00:00Z'));
    expect(afterFailedCharge(failed, 1, [])).toEqual({ status: 'paused', nextRetryAt: null });
    expect(() => nextRetryAt(failed, 1, [3, 3])).toThrow(RangeError);
    expect(() => nextRetryAt(failed, 1, [0, 1])).toThrow(RangeError);
    expect(() => nextRetryAt(failed, 1, [1.5])).toThrow(RangeError);
  });

  it('refuses attempts and failure counts that are not counts', () => {
    expect(() => nextRetryAt(failed, 0)).toThrow(RangeError);
    expect(() => nextRetryAt(failed, 1.5)).toThrow(RangeError);
    expect(() => afterFailedCharge(failed, 0)).toThrow(RangeError);
    expect(() => nextRetryAt(d('nope'), 1)).toThrow(RangeError);
  });
});
