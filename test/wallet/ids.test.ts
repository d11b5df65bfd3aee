import { describe, expect, it } from 'vitest';
import {
  autoTopUpKey,
  capReachedNotificationKey,
  debitFeeKey,
  debitSpendKey,
  manualTopUpKey,
  topUpSettleKey,
  topUpStartKey,
  walletWorkflowId,
  WALLET_KEY_PREFIXES,
  wireCreditKey,
  wireLedgerKey,
  withdrawalDebitKey,
  withdrawalKey,
  withdrawalLegKey,
  withdrawalReverseKey,
} from '../../src/wallet/ids';

// Pinned: a changed byte orphans every row (and Stripe object) keyed by the old form.
describe('wallet keys', () => {
  it('have these exact forms', () => {
    const at = new Date('2026-03-08T15:00:00Z');
    expect(walletWorkflowId('org_1')).toBe('wallet:org_1');
    expect(autoTopUpKey('org_1', at)).toBe('wallet-top-up:org_1:auto:2026-03-08T15:00:00.000Z');
    expect(manualTopUpKey('org_1', 'req-7')).toBe('wallet-top-up:org_1:manual:req-7');
    expect(topUpStartKey('k')).toBe('k:start');
    expect(topUpSettleKey('k')).toBe('k:settle');
    expect(wireCreditKey('org_1', 'FED-123')).toBe('wallet-wire:org_1:FED-123');
    expect(wireLedgerKey('w')).toBe('w:credit');
    expect(debitSpendKey('meta', 'bill-9')).toBe('wallet-debit:meta:bill-9:spend');
    expect(debitFeeKey('meta', 'bill-9')).toBe('wallet-debit:meta:bill-9:fee');
    expect(withdrawalKey('org_1', 'req-8')).toBe('wallet-withdrawal:org_1:req-8');
    expect(withdrawalLegKey('wallet-withdrawal:org_1:req-8', 42)).toBe(
      'wallet-withdrawal:org_1:req-8:top-up:42',
    );
    expect(withdrawalDebitKey('l')).toBe('l:debit');
    expect(withdrawalReverseKey('l')).toBe('l:reverse');
    expect(capReachedNotificationKey('org_1', '2026-03-08')).toBe('wallet-cap-reached:org_1:2026-03-08');
  });

  it('put every Stripe-facing key under one of the declared prefixes', () => {
    const stripeKeys = [
      autoTopUpKey('o', new Date(0)),
      manualTopUpKey('o', 'k'),
      withdrawalLegKey(withdrawalKey('o', 'k'), 1),
    ];
    for (const key of stripeKeys) expect(WALLET_KEY_PREFIXES.some((p) => key.startsWith(p))).toBe(true);
  });
});
