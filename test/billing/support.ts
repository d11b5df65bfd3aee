import { expect } from 'vitest';
import { DomainError } from '../../src/errors';
import { renewalPeriodContaining } from '../../src/billing/clock';
import type { Subscription } from '../../src/billing/subscription';

export const d = (s: string): Date => new Date(s);
export const iso = (p: { start: Date; end: Date }): [string, string] => [
  p.start.toISOString(),
  p.end.toISOString(),
];

/** The DomainError `fn` throws, checked for its code (and details, when given). */
export function expectRefusal(
  fn: () => unknown,
  code: string,
  details?: Record<string, unknown>,
): DomainError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DomainError);
  const err = caught as DomainError;
  expect(err.code).toBe(code);
  if (details) expect(err.details).toMatchObject(details);
  return err;
}

/** A running pro monthly subscription anchored on 31 January, in its period containing `at`. */
export function subscription(
  overrides: Partial<Subscription> = {},
  at = d('2026-03-15T12:00:00Z'),
): Subscription {
  const base = {
    tier: 'pro' as const,
    interval: 'month' as const,
    seats: 1,
    status: 'active' as const,
    anchor: d('2026-01-31T10:00:00Z'),
    scheduledChange: null,
    cancelAtPeriodEnd: false,
    ...overrides,
  };
  return { period: renewalPeriodContaining(base.anchor, base.interval, at), ...base };
}
