import { describe, expect, it } from 'vitest';
import { requireAlertThreshold, shouldFireCreditAlert } from '../../src/billing/alerts';
import { expectRefusal } from './support';

const alert = (available: number, firedThisPeriod = false, threshold: number | null = 100) =>
  shouldFireCreditAlert({ threshold, available, firedThisPeriod });

describe('credit alerts', () => {
  it('fires when a debit leaves available below the threshold', () => {
    expect(alert(99)).toBe(true);
    expect(alert(0)).toBe(true);
  });

  it('does not fire at the threshold or above it', () => {
    expect(alert(100)).toBe(false);
    expect(alert(150)).toBe(false);
  });

  it('fires once per period, and never without a threshold', () => {
    expect(alert(99, true)).toBe(false);
    expect(alert(99, false, null)).toBe(false);
  });

  it('accepts a whole number of credits or null, and refuses the rest with VALIDATION_FAILED', () => {
    expect(requireAlertThreshold(500)).toBe(500);
    expect(requireAlertThreshold(null)).toBeNull();
    for (const bad of [0, -5, 1.5, '100', undefined, Number.NaN, 1e12]) {
      expectRefusal(() => requireAlertThreshold(bad), 'VALIDATION_FAILED', { field: 'threshold' });
    }
  });
});
