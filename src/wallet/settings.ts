import { invalid } from '../errors';
import { requireCents } from './amounts';
import { MINIMUM_TOP_UP_CENTS, type AutoTopUpSettings } from './auto-top-up';

/**
 * The wallet's settings as an org may change them, validated as a whole: each field alone, then
 * together (the same rule the wallets table's CHECK holds, so a refusal here is the stable
 * VALIDATION_FAILED naming the field instead of a constraint error).
 */
export interface WalletSettings {
  floorCents: number;
  autoTopUp: AutoTopUpSettings;
}

export function requireAutoTopUpSettings(value: unknown): AutoTopUpSettings {
  if (typeof value !== 'object' || value === null) throw invalid('autoTopUp', 'must be an object');
  const v = value as Record<string, unknown>;
  if (typeof v.enabled !== 'boolean') throw invalid('autoTopUp.enabled', 'must be true or false');
  return {
    enabled: v.enabled,
    thresholdCents: requireCents('autoTopUp.thresholdCents', v.thresholdCents, { min: 0 }),
    amountCents: requireCents('autoTopUp.amountCents', v.amountCents, { min: 0 }),
    dailyCapCents: requireCents('autoTopUp.dailyCapCents', v.dailyCapCents, { min: 0 }),
  };
}

/**
 * Settings that can run: an enabled auto-top-up charges at least the minimum, its daily cap allows at
 * least one charge of its amount, and it triggers at or above the floor (else the ads would pause before
 * the wallet tops itself up). Disabled settings are kept as given.
 */
export function requireWalletSettings(settings: { floorCents: unknown; autoTopUp: unknown }): WalletSettings {
  const floorCents = requireCents('floorCents', settings.floorCents, { min: 0 });
  const autoTopUp = requireAutoTopUpSettings(settings.autoTopUp);
  if (autoTopUp.enabled) {
    if (autoTopUp.amountCents < MINIMUM_TOP_UP_CENTS) {
      throw invalid(
        'autoTopUp.amountCents',
        `must be at least the minimum top-up of ${MINIMUM_TOP_UP_CENTS} cents`,
      );
    }
    if (autoTopUp.dailyCapCents < autoTopUp.amountCents) {
      throw invalid('autoTopUp.dailyCapCents', 'must be at least autoTopUp.amountCents');
    }
    if (autoTopUp.thresholdCents < floorCents) {
      throw invalid('autoTopUp.thresholdCents', 'must be at least the floor');
    }
  }
  return { floorCents, autoTopUp };
}
