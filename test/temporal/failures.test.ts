import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { DomainError, ERROR_CODES, ERROR_STATUS, errorSpec } from '../../src/errors';
import { NON_RETRYABLE_CODES, domainErrorFrom, toApplicationFailure } from '../../src/temporal/failures';

describe('the error table', () => {
  it('calls retryable exactly the codes a later attempt could get past: 408, 429 and the 503s', () => {
    const retryable = ERROR_CODES.filter((c) => errorSpec(c).retryable);
    expect(retryable.sort()).toEqual(
      [
        'DATABASE_UNAVAILABLE',
        'ENGINE_UNAVAILABLE',
        'KILL_SWITCH',
        'NOT_READY',
        'RATE_LIMITED',
        'REQUEST_TIMEOUT',
      ].sort(),
    );
    for (const c of ERROR_CODES)
      expect([408, 429, 503].includes(ERROR_STATUS[c]), c).toBe(errorSpec(c).retryable);
  });

  it('gives the workflows every code that is not retryable, and none that is', () => {
    expect(new Set(NON_RETRYABLE_CODES)).toEqual(new Set(ERROR_CODES.filter((c) => !errorSpec(c).retryable)));
    // The codes the retry policies listed by hand before the table, still there.
    for (const c of [
      'VALIDATION_FAILED',
      'UNKNOWN_FORMAT',
      'NOT_FOUND',
      'IDEMPOTENCY_KEY_REUSED',
      'GENERATION_ALREADY_ENDED',
      'PAYMENT_DECLINED',
    ] as const) {
      expect(NON_RETRYABLE_CODES).toContain(c);
    }
    expect(NON_RETRYABLE_CODES).not.toContain('DATABASE_UNAVAILABLE');
  });

  it('keeps DomainError working on top of the table', () => {
    const err = new DomainError('RATE_LIMITED', 'slow down', { retryAfterSeconds: 3 });
    expect(err.httpStatus).toBe(429);
    const back = domainErrorFrom(new Error('wrapped', { cause: toApplicationFailure(err) }));
    expect(back?.code).toBe('RATE_LIMITED');
    expect(back?.details).toEqual({ retryAfterSeconds: 3 });
    expect(
      domainErrorFrom(ApplicationFailure.create({ type: 'NO_SUCH_CODE', message: 'x' })),
    ).toBeUndefined();
  });
});
