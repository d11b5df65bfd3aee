import type { ErrorSpec } from '../errors';

/**
 * The codes the wallet refuses with, spread into src/errors.ts's ERRORS table. Data only, importing
 * nothing at run time, so errors.ts can import it without a cycle and workflows can import both.
 */
export const WALLET_ERRORS = {
  /** The org is in BYO mode: it pays the platforms itself, has no wallet and pays no platform fee. */
  WALLET_NOT_AVAILABLE: { status: 409, retryable: false },
  /** An ACH top-up on a tier without ACH (src/wallet/funding.ts ACH_TIERS): card top-ups remain. */
  ACH_NOT_AVAILABLE: { status: 409, retryable: false },
  /** A platform bill from a platform the wallet does not pay (src/wallet/statuses.ts AD_PLATFORMS). */
  UNKNOWN_PLATFORM: { status: 400, retryable: false },
  /** A withdrawal (or one of its refund legs) larger than the settled balance or the charge it refunds. */
  WALLET_INSUFFICIENT_BALANCE: { status: 409, retryable: false },
  /** A top-up or refund leg already settled the other way (succeeded, then reported failed, or back). */
  WALLET_ALREADY_SETTLED: { status: 409, retryable: false },
} as const satisfies Record<string, ErrorSpec>;

export type WalletErrorCode = keyof typeof WALLET_ERRORS;

export const WALLET_ERROR_CODES = Object.keys(WALLET_ERRORS) as WalletErrorCode[];
