import { mulDivRound } from '../billing/rounding';

/**
 * Pausing and resuming an org's agency-mode ads around its wallet floor, without flapping: ads pause
 * when the settled balance falls below the floor and resume only once it is back at the floor plus a
 * margin, so a balance hovering at the floor (a top-up of a few dollars, then the next bill) does not
 * pause and resume the campaigns over and over. Only settled money counts: pending ACH never resumes
 * ads (it may still fail), and neither does money that is merely expected.
 *
 * The margin: 10% of the floor, at least $10. With a $0 floor, ads pause once the balance is negative
 * (spend already incurred exceeds the wallet) and resume at $10.
 */
export const RESUME_MARGIN_BPS = 1_000;
export const MIN_RESUME_MARGIN_CENTS = 1_000;

export const resumeMarginCents = (floorCents: number): number =>
  Math.max(MIN_RESUME_MARGIN_CENTS, mulDivRound(floorCents, RESUME_MARGIN_BPS, 10_000));

/** The settled balance at or above which paused ads resume. */
export const resumeAtCents = (floorCents: number): number => floorCents + resumeMarginCents(floorCents);

export interface FloorState {
  /** Settled balance: the only money that counts. */
  balanceCents: number;
  /** In flight (ACH, card charges not yet confirmed): taken to show it plays no part. */
  pendingCents: number;
  floorCents: number;
  adsPaused: boolean;
}

export type FloorAction =
  { action: 'pause'; reason: 'below_floor' } | { action: 'resume'; reason: 'funded' } | { action: 'none' };

export function planFloor(state: FloorState): FloorAction {
  if (!state.adsPaused && state.balanceCents < state.floorCents)
    return { action: 'pause', reason: 'below_floor' };
  if (state.adsPaused && state.balanceCents >= resumeAtCents(state.floorCents)) {
    return { action: 'resume', reason: 'funded' };
  }
  return { action: 'none' };
}
