import { DomainError } from '../errors';
import type { TierId } from '../billing/tiers';

/**
 * Who may fund the wallet how. Cards on every tier; ACH only on the enterprise plans (issue 10, seed 001),
 * `pro` and `team`: ACH holds money pending for 1–3 business days and can be returned after that, a risk
 * taken only with the accounts on those plans. Wires are credited by finance (the admin CLI), never asked
 * for through the API.
 */
export const ACH_TIERS = ['pro', 'team'] as const satisfies readonly TierId[];

export const achAvailable = (tier: string): boolean => (ACH_TIERS as readonly string[]).includes(tier);

/** 409 ACH_NOT_AVAILABLE for an ACH top-up on any other tier; card passes. */
export function requireTopUpMethodAllowed(tier: string, method: 'card' | 'ach'): void {
  if (method === 'ach' && !achAvailable(tier)) {
    throw new DomainError(
      'ACH_NOT_AVAILABLE',
      `ACH top-ups are available on the ${ACH_TIERS.join(' and ')} tiers; this org is on ${tier}: top up by card`,
      { tier, achTiers: [...ACH_TIERS] },
    );
  }
}

/** How long POST /v1/wallet/top-ups waits for a card charge to settle, and how often it looks. */
export const CARD_TOP_UP_WAIT_MS = 10_000;
export const CARD_TOP_UP_POLL_MS = 100;
