import {
  recordWithdrawalRequested,
  startTopUpAudited,
  updateWalletSettingsAudited,
} from '../../audit/wallet';
import type { Db } from '../../db/pool';
import { DomainError, invalid, type ErrorCode } from '../../errors';
import { CARD_TOP_UP_POLL_MS, CARD_TOP_UP_WAIT_MS, requireTopUpMethodAllowed } from '../../wallet/funding';
import { recordSpend } from '../../wallet/ledger';
import type { WalletClient } from '../../wallet/client';
import { awaitTopUpSettled, listWalletEntries } from '../../wallet/queries';
import { balancesView, debitView, readWalletView, topUpView, withdrawalLegView } from '../../wallet/views';
import { withdrawalKey } from '../../wallet/ids';
import { getWallet, type WalletSettingsPatch } from '../../wallet/wallets';
import { walletRequestId } from '../../wallet/request-ids';
import { requestWithdrawal } from '../../wallet/withdraw';
import { spendSummary, spendWindow } from '../../wallet/spend-summary';
import { auditedBy, requestActor } from '../audit-context';
import { identityOf } from '../auth';
import { parseDateTime } from '../date-time';
import { ledgerPageBody, ledgerPageOptions } from '../ledger-page';
import { requestHash, runIdempotent } from '../idempotency';
import { defineRoute, type ApiRoute } from '../route';
import { idempotencyHeaders } from '../schemas';
import {
  autoTopUpBody,
  ENTRY_LIMIT_DEFAULT,
  floorBody,
  spendBody,
  spendResultSchema,
  spendSummaryQuery,
  spendSummarySchema,
  topUpBody,
  topUpResultSchema,
  transactionsPageSchema,
  transactionsQuery,
  walletSchema,
  withdrawalBody,
  withdrawalSchema,
} from './wallet.schemas';

export interface WalletRouteDeps {
  db: Db;
  /** The wallet workflow's client (nudges); without it the routes that change the wallet are not served. */
  wallet?: WalletClient;
  /** Business time of what the routes record and of "today"; the wall clock unless a test pins it. */
  clock?: () => Date;
  /** How long a card top-up waits for the workflow to settle it before answering pending. */
  topUpWaitMs?: number;
}

const IDEMPOTENT =
  'Requires Idempotency-Key: a repeat answers the same outcome and never moves money twice; the same key ' +
  'with another body is 409 IDEMPOTENCY_KEY_REUSED.';
const BYO = 'A BYO org has no wallet: 409 WALLET_NOT_AVAILABLE.';
const SETTINGS_ERRORS: ErrorCode[] = ['WALLET_NOT_AVAILABLE', 'ENGINE_UNAVAILABLE'];

/**
 * The domain validates settings as `{floorCents, autoTopUp: {…}}`; these bodies are flat. Its field names
 * become the body's, and a floor refused for being above an enabled threshold names the floor, the field
 * the caller sent.
 */
async function withBodyFields<T>(route: 'auto-top-up' | 'floor', run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const field = err instanceof DomainError ? err.details?.field : undefined;
    if (!(err instanceof DomainError) || err.code !== 'VALIDATION_FAILED' || typeof field !== 'string')
      throw err;
    if (route === 'floor' && field === 'autoTopUp.thresholdCents') {
      throw invalid('floorCents', 'must be at most the auto-top-up threshold while auto-top-up is on');
    }
    if (!field.startsWith('autoTopUp.')) throw err;
    const name = field.slice('autoTopUp.'.length);
    throw invalid(name, err.message.slice(field.length + 2).replace(/autoTopUp\./g, ''));
  }
}

/**
 * The agency wallet of the calling org: its balances, settings, statement and forecast; top-ups and
 * withdrawals the org asks for; and the ad-platform billing ingest (`wallet:spend` keys only). Every write
 * goes through the wallet ledger (src/wallet/ledger.ts, wallets.ts) and then nudges the org's wallet
 * workflow, which owns what follows: charging cards, auto-top-up, pausing ads, refunds.
 */
export function walletRoutes({
  db,
  wallet,
  clock = () => new Date(),
  topUpWaitMs = CARD_TOP_UP_WAIT_MS,
}: WalletRouteDeps): ApiRoute[] {
  const reads: ApiRoute[] = [
    defineRoute({
      method: 'GET',
      url: '/v1/wallet',
      operationId: 'getWallet',
      summary:
        'The calling org’s wallet: settled balance and pending top-ups, the floor and where paused ads ' +
        'resume, auto-top-up settings with today’s cap used, whether ads are paused and why, and the ' +
        `runway at the trailing 7- and 30-day spend. ${BYO}`,
      tag: 'wallet',
      auth: true,
      schema: { response: { 200: walletSchema } },
      errors: ['WALLET_NOT_AVAILABLE'],
      handler: async (request) => readWalletView(db, identityOf(request).orgId, clock()),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/wallet/transactions',
      operationId: 'listWalletTransactions',
      summary:
        'The wallet ledger newest first, each row with its business key, deltas and the balance after ' +
        'it; filters by project, platform, entry type and effectiveAt in [from, to). Pass nextCursor back ' +
        `as cursor for the next page. ${BYO}`,
      tag: 'wallet',
      auth: true,
      schema: { querystring: transactionsQuery, response: { 200: transactionsPageSchema } },
      errors: ['WALLET_NOT_AVAILABLE', 'UNKNOWN_PLATFORM'],
      handler: async (request) => {
        const { orgId } = identityOf(request);
        await getWallet(db, orgId);
        const page = await listWalletEntries(
          db,
          orgId,
          ledgerPageOptions(request.query, ENTRY_LIMIT_DEFAULT),
        );
        return ledgerPageBody(page);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/wallet/spend-summary',
      operationId: 'getWalletSpendSummary',
      summary:
        'What the ad platforms billed the wallet for bills that occurred in [from, to) (default: the 30 ' +
        'days before now; at most 366 days): spend and platform fee in total, per platform, per project ' +
        'and per local day of the wallet’s time zone (every day the window touches, 0 for none). ' +
        `Refuses an empty or longer window with 400 VALIDATION_FAILED. ${BYO}`,
      tag: 'wallet',
      auth: true,
      schema: { querystring: spendSummaryQuery, response: { 200: spendSummarySchema } },
      errors: ['WALLET_NOT_AVAILABLE'],
      handler: async (request) => {
        const { from, to } = request.query;
        const window = spendWindow(
          clock(),
          from === undefined ? undefined : parseDateTime(from),
          to === undefined ? undefined : parseDateTime(to),
        );
        return spendSummary(db, identityOf(request).orgId, window);
      },
    }),
  ];
  if (!wallet) return reads;

  return [
    ...reads,
    defineRoute({
      method: 'POST',
      url: '/v1/wallet/top-ups',
      operationId: 'createWalletTopUp',
      summary:
        'Tops the wallet up by card (charged off-session, credited when it succeeds) or ACH (pro and ' +
        'team tiers; pending until it settles, 1–3 business days, expectedSettlement the last). A card ' +
        `top-up answers once settled, or pending after ${topUpWaitMs / 1000} s. ${IDEMPOTENT} ${BYO}`,
      tag: 'wallet',
      auth: true,
      schema: { headers: idempotencyHeaders, body: topUpBody, response: { 201: topUpResultSchema } },
      errors: ['WALLET_NOT_AVAILABLE', 'ACH_NOT_AVAILABLE', 'IDEMPOTENCY_KEY_REUSED', 'ENGINE_UNAVAILABLE'],
      handler: async (request, reply) => {
        const { orgId, tier } = identityOf(request);
        const { amountCents, method } = request.body;
        await getWallet(db, orgId);
        requireTopUpMethodAllowed(tier, method);
        const started = await startTopUpAudited(db, requestActor(request), {
          orgId,
          method,
          amountCents,
          idempotencyKey: walletRequestId(request.headers['idempotency-key']),
          at: clock(),
        });
        // A repeat nudges again: the first answer may have been a 503 after the top-up was recorded.
        await wallet.nudge(orgId, 'top_up');
        let topUp = started.topUp;
        if (topUp.method === 'card' && topUp.status === 'pending') {
          topUp =
            (await awaitTopUpSettled(db, orgId, topUp.key, {
              timeoutMs: topUpWaitMs,
              intervalMs: CARD_TOP_UP_POLL_MS,
            })) ?? topUp;
        }
        if (started.duplicate) reply.header('idempotent-replayed', 'true');
        const balances = balancesView(await getWallet(db, orgId));
        return reply.code(201).send({ topUp: topUpView(topUp), ...balances });
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/v1/wallet/auto-top-up',
      operationId: 'setWalletAutoTopUp',
      summary:
        'Sets auto-top-up: below thresholdCents (settled + pending) the card is charged amountCents, never ' +
        'more than dailyCapCents in one local day of timeZone (IANA, unchanged when absent). Enabled, the ' +
        'amount is at least the minimum top-up, the cap at least the amount and the threshold at least ' +
        `the floor (400 VALIDATION_FAILED naming the field). Answers the wallet. ${BYO}`,
      tag: 'wallet',
      auth: true,
      schema: { body: autoTopUpBody, response: { 200: walletSchema } },
      errors: SETTINGS_ERRORS,
      handler: async (request) => {
        const { orgId } = identityOf(request);
        const { timeZone, ...autoTopUp } = request.body;
        const patch: WalletSettingsPatch = { autoTopUp, ...(timeZone === undefined ? {} : { timeZone }) };
        await withBodyFields('auto-top-up', () =>
          updateWalletSettingsAudited(db, auditedBy(request), orgId, patch),
        );
        await wallet.nudge(orgId, 'settings');
        return readWalletView(db, orgId, clock());
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/v1/wallet/floor',
      operationId: 'setWalletFloor',
      summary:
        'Sets the floor: below it (settled balance) agency ads pause, and they resume at the floor plus ' +
        'its margin. While auto-top-up is on the floor may not exceed its threshold (400). Answers the ' +
        `wallet. ${BYO}`,
      tag: 'wallet',
      auth: true,
      schema: { body: floorBody, response: { 200: walletSchema } },
      errors: SETTINGS_ERRORS,
      handler: async (request) => {
        const { orgId } = identityOf(request);
        const { floorCents } = request.body;
        await withBodyFields('floor', () =>
          updateWalletSettingsAudited(db, auditedBy(request), orgId, { floorCents }),
        );
        await wallet.nudge(orgId, 'settings');
        return readWalletView(db, orgId, clock());
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/wallet/withdrawals',
      operationId: 'createWalletWithdrawal',
      summary:
        'Withdraws amountCents of the settled balance (`{}`: all of it) back to the cards that funded ' +
        'it, newest charge first, one refund per charge, each less the processor fee (2.9% + 30¢); what ' +
        `no card charge can take back stays in the wallet as unrefundedCents. ${IDEMPOTENT} ${BYO}`,
      tag: 'wallet',
      auth: true,
      schema: { headers: idempotencyHeaders, body: withdrawalBody, response: { 201: withdrawalSchema } },
      errors: [
        'WALLET_NOT_AVAILABLE',
        'WALLET_INSUFFICIENT_BALANCE',
        'IDEMPOTENCY_KEY_REUSED',
        'ENGINE_UNAVAILABLE',
      ],
      handler: async (request, reply) => {
        const { orgId } = identityOf(request);
        const { body } = request;
        const key = request.headers['idempotency-key'];
        const scope = { orgId, key, requestHash: requestHash('POST', '/v1/wallet/withdrawals', body) };
        // The stored answer makes a repeat with another amount a 409 instead of a second withdrawal; the
        // work itself is safe to run again after a crash or a 503 (requestWithdrawal).
        const result = await runIdempotent(
          db,
          scope,
          () => key,
          async () => {
            const w = await requestWithdrawal(db, {
              orgId,
              withdrawalId: walletRequestId(key),
              amountCents: body.amountCents,
              at: clock(),
            });
            const audit = withdrawalKey(orgId, walletRequestId(key));
            await recordWithdrawalRequested(db, requestActor(request), orgId, audit, w);
            await wallet.nudge(orgId, 'withdrawal');
            const balances = balancesView(await getWallet(db, orgId));
            return { status: 201, body: { ...w, legs: w.legs.map(withdrawalLegView), ...balances } };
          },
        );
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(result.status).send(result.body);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/wallet/spend',
      operationId: 'recordWalletSpend',
      summary:
        'The ad-platform billing ingest (keys with the wallet:spend scope only): debits one platform ' +
        'bill and its platform fee from the settled balance, in full even below zero. 201 for a new ' +
        `bill, 200 for a repeat of its (platform, externalId), which debits nothing. ${BYO}`,
      tag: 'wallet',
      auth: true,
      scope: 'wallet:spend',
      schema: { body: spendBody, response: { 200: spendResultSchema, 201: spendResultSchema } },
      errors: [
        'WALLET_NOT_AVAILABLE',
        'UNKNOWN_PLATFORM',
        'NOT_FOUND',
        'IDEMPOTENCY_KEY_REUSED',
        'ENGINE_UNAVAILABLE',
      ],
      handler: async (request, reply) => {
        const { orgId } = identityOf(request);
        const { body } = request;
        const r = await recordSpend(db, { orgId, ...body, occurredAt: parseDateTime(body.occurredAt) });
        // Only the bill that crossed the threshold or the floor tells the workflow (never one signal per
        // bill), and its repeat tells it again: the first answer may have been a 503 after the debit.
        if (r.debit.crossedThreshold || r.debit.crossedFloor) await wallet.nudge(orgId, 'debit');
        return reply.code(r.duplicate ? 200 : 201).send({
          duplicate: r.duplicate,
          debit: debitView(r.debit),
          ...balancesView(r.wallet),
        });
      },
    }),
  ];
}
