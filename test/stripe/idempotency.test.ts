import { describe, expect, it } from 'vitest';
import { StripeValidationError } from '../../src/stripe/errors';
import { IDEMPOTENCY_KINDS, idempotencyKeyFor, type IdempotencyKind } from '../../src/stripe/idempotency';

describe('idempotencyKeyFor', () => {
  it('is a pure function of kind and business key', () => {
    expect(idempotencyKeyFor('pi', 'period-close:org_1:2026-11')).toBe('pi:period-close:org_1:2026-11');
    expect(idempotencyKeyFor('pi', 'period-close:org_1:2026-11')).toBe(
      idempotencyKeyFor('pi', 'period-close:org_1:2026-11'),
    );
    expect(idempotencyKeyFor('customer', 'org_1')).toBe('customer:org_1');
    expect(idempotencyKeyFor('pm-attach', 'default-card:org_1:pm_1')).toBe(
      'pm-attach:default-card:org_1:pm_1',
    );
  });

  it('gives different operations on the same business key different keys', () => {
    const keys = IDEMPOTENCY_KINDS.map((kind) => idempotencyKeyFor(kind, 'bk-1'));
    expect(new Set(keys).size).toBe(IDEMPOTENCY_KINDS.length);
    expect(idempotencyKeyFor('pi', 'bk-1')).not.toBe(idempotencyKeyFor('pi', 'bk-2'));
  });

  it('stays within Stripe’s 255-character key limit for the longest business key', () => {
    const longest = 'k'.repeat(200);
    for (const kind of IDEMPOTENCY_KINDS) {
      expect(idempotencyKeyFor(kind, longest).length).toBeLessThanOrEqual(255);
    }
  });

  it.each([
    ['empty', ''],
    ['whitespace', 'period close'],
    ['non-ASCII', 'période'],
    ['too long', 'k'.repeat(201)],
  ])('rejects a %s business key', (_label, businessKey) => {
    expect(() => idempotencyKeyFor('pi', businessKey)).toThrow(StripeValidationError);
  });

  it('rejects unknown kinds', () => {
    expect(() => idempotencyKeyFor('charge' as IdempotencyKind, 'bk')).toThrow(StripeValidationError);
    expect(() => idempotencyKeyFor('invoice' as IdempotencyKind, 'bk')).toThrow(StripeValidationError);
  });
});
