import type { LocalDay } from './days';
import type { PlatformName } from './statuses';

/**
 * Every name the wallet domain derives, built only here and passed to the wallet_* database functions,
 * which never build a key themselves. Keys come from business facts (the workflow's time of a decision,
 * the caller's Idempotency-Key, the platform's bill id, the wire's reference), never from run ids, so a
 * retried activity or a continued-as-new run finds the same key. Top-up and withdrawal keys carry the
 * org because they are Stripe idempotency keys too, and those are global to the Stripe account.
 * Changing a byte here orphans the rows keyed by the old form: test/wallet/ids.test.ts pins them.
 */

export const walletWorkflowId = (orgId: string): string => `wallet:${orgId}`;

/** The prefixes of the keys the wallet writes into Stripe metadata (for its webhook owner). */
export const WALLET_KEY_PREFIXES = ['wallet-top-up:', 'wallet-withdrawal:'] as const;

/** An auto top-up the wallet workflow decided at business time `at`: one per decision. */
export const autoTopUpKey = (orgId: string, at: Date): string =>
  `wallet-top-up:${orgId}:auto:${at.toISOString()}`;

/** A top-up the org asked for, named by its request's Idempotency-Key. */
export const manualTopUpKey = (orgId: string, idempotencyKey: string): string =>
  `wallet-top-up:${orgId}:manual:${idempotencyKey}`;

/** A wire credited by finance, named by the wire's reference: the same wire is credited once. */
export const wireCreditKey = (orgId: string, reference: string): string =>
  `wallet-wire:${orgId}:${reference}`;

/** The ledger rows of a top-up: when it starts (pending) and when it settles (either way). */
export const topUpStartKey = (topUpKey: string): string => `${topUpKey}:start`;
export const topUpSettleKey = (topUpKey: string): string => `${topUpKey}:settle`;
/** The one ledger row of a wire credit. */
export const wireLedgerKey = (wireKey: string): string => `${wireKey}:credit`;

/** The two linked legs of one platform bill. */
export const debitSpendKey = (platform: PlatformName, externalId: string): string =>
  `wallet-debit:${platform}:${externalId}:spend`;
export const debitFeeKey = (platform: PlatformName, externalId: string): string =>
  `wallet-debit:${platform}:${externalId}:fee`;

/** A withdrawal the org asked for, named by its request's Idempotency-Key. */
export const withdrawalKey = (orgId: string, idempotencyKey: string): string =>
  `wallet-withdrawal:${orgId}:${idempotencyKey}`;

/** One refund leg of a withdrawal: one per charge refunded, also its Stripe refund's idempotency key. */
export const withdrawalLegKey = (withdrawal: string, topUpId: number): string =>
  `${withdrawal}:top-up:${topUpId}`;
export const withdrawalDebitKey = (legKey: string): string => `${legKey}:debit`;
export const withdrawalReverseKey = (legKey: string): string => `${legKey}:reverse`;

/** The outbox key of "today's auto-top-up cap is reached": one notification per org and local day. */
export const capReachedNotificationKey = (orgId: string, day: LocalDay): string =>
  `wallet-cap-reached:${orgId}:${day}`;

/** A pause or resume of the org's agency ads the workflow decided at business time `at`. */
export const adActionKey = (orgId: string, action: 'pause' | 'resume', at: Date): string =>
  `wallet-ads:${orgId}:${action}:${at.toISOString()}`;

/** The outbox key of "three declines switched auto-top-up off", once per tripping decline. */
export const breakerNotificationKey = (topUpKey: string): string => `${topUpKey}:auto-top-up-off`;
/** The outbox key of "your top-up failed". */
export const topUpFailedNotificationKey = (topUpKey: string): string => `${topUpKey}:failed`;
