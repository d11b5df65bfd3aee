import { sql } from 'kysely';
import type { ChargeKind, ChargeStatus } from '../billing/statuses';
import type { TierId } from '../billing/tiers';
import { CREDIT_PACK_KEY_PREFIX } from '../credit-packs/ids';
import type { Db } from '../db/pool';
import type { BillingMode } from '../orgs/statuses';
import type { PlatformName, TopUpMethod } from '../wallet/statuses';

/**
 * The ledger legs of one org's billing period, [start, end): everything an invoice is the sum of, read
 * in one REPEATABLE READ snapshot so that the lines and the totals describe one moment. Each field is a
 * grouping of rows a query can show (test/invoices/recompute.test.ts recomputes them in plain SQL):
 *
 * - credits: the credit ledger's captures between the previous period's close row and this one's (by
 *   ledger id: an org's credit rows are written under its balance row lock, so id order is the order
 *   they happened in, whatever clock a generation ran on), per project and source;
 * - packs: the prepaid grants of credit packs in the same range, with the price their purchase paid;
 * - charges: the subscription's billing_charges charged in [start, end) (the renewal at the start pays
 *   this period in advance; the renewal at the end belongs to the next invoice);
 * - wallet: platform bills (spend and fee legs) per project and platform that occurred before the end
 *   and that no earlier invoice took (a late bill joins the next invoice); top-ups and withdrawal legs settled in [start, end), and the
 *   settled balance at the end (the sum of the ledger's deltas before it).
 */
export interface PeriodLegs {
  org: { id: string; name: string; mode: BillingMode; timeZone: string | null };
  /** The tier the period ran on: the one it closed on, else the org's current tier. */
  tier: TierId;
  start: Date;
  end: Date;
  /** False for the upcoming invoice: the period is still open and its credits are read up to now. */
  closed: boolean;
  charges: ChargeLeg[];
  credits: CreditLeg[];
  packs: PackLeg[];
  walletDebits: WalletDebitLeg[];
  topUps: TopUpLeg[];
  withdrawals: WithdrawalLeg[];
  /** The wallet's settled balance at `end`; null for an org without a wallet. */
  walletBalanceAtEndCents: number | null;
  /** The last wallet ledger row this invoice has seen: the next one takes the bills recorded after it. */
  walletLedgerThrough: number | null;
}

export interface ChargeLeg {
  businessKey: string;
  kind: ChargeKind;
  status: ChargeStatus;
  amountCents: number;
  lines: Array<{ description: string; amountCents: number }>;
  paymentIntentId: string | null;
  refundId: string | null;
  chargedAt: Date;
}

export interface CreditLeg {
  projectId: string;
  projectName: string;
  rolledOver: number;
  included: number;
  prepaid: number;
  overage: number;
}

export interface PackLeg {
  purchaseId: string;
  packId: string;
  credits: number;
  amountCents: number;
  paymentIntentId: string | null;
  settledAt: Date | null;
}

export interface WalletDebitLeg {
  projectId: string;
  projectName: string;
  platform: PlatformName;
  bills: number;
  spendCents: number;
  feeCents: number;
}

export interface TopUpLeg {
  id: number;
  method: TopUpMethod;
  amountCents: number;
  settledAt: Date;
  reference: string | null;
}

export interface WithdrawalLeg {
  id: number;
  refundCents: number;
  settledAt: Date;
  reference: string | null;
}

const num = (v: unknown): number => Number(v ?? 0);

export async function readPeriodLegs(
  db: Db,
  input: { orgId: string; start: Date; end: Date; closed: boolean },
): Promise<PeriodLegs> {
  const { orgId, start, end } = input;
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (tx) => {
      const org = await tx
        .selectFrom('organizations as o')
        .leftJoin('wallets as w', 'w.org_id', 'o.id')
        .select(['o.id', 'o.name', 'o.billing_mode', 'o.tier_id', 'w.time_zone', 'w.org_id as wallet_org'])
        .where('o.id', '=', orgId)
        .executeTakeFirstOrThrow();

      // The period's credit rows: after the close that started it, up to the close that ended it.
      const closes = await tx
        .selectFrom('credit_periods as p')
        .innerJoin('credit_ledger as l', (j) =>
          j.onRef('l.org_id', '=', 'p.org_id').onRef('l.idempotency_key', '=', 'p.idempotency_key'),
        )
        .select(['p.period_start', 'p.period_end', 'p.tier_id', 'l.id'])
        .where('p.org_id', '=', orgId)
        .where((eb) => eb.or([eb('p.period_end', '=', start), eb('p.period_start', '=', start)]))
        .execute();
      const before = closes.find((c) => c.period_end.getTime() === start.getTime());
      const own = input.closed ? closes.find((c) => c.period_start.getTime() === start.getTime()) : undefined;
      if (input.closed && !own)
        throw new Error(`no closed credit period of ${orgId} starts at ${start.toISOString()}`);
      const fromId = before?.id ?? 0;
      const toId = own?.id ?? Number.MAX_SAFE_INTEGER;

      const credits = await tx
        .selectFrom('credit_ledger as l')
        .innerJoin('projects as p', 'p.id', 'l.project_id')
        .select((eb) => [
          'l.project_id',
          'p.name',
          sql<string>`sum(-l.rolled_over_delta - l.pending_expiry_delta)`.as('rolled_over'),
          sql<string>`sum(-l.included_delta)`.as('included'),
          sql<string>`sum(-l.prepaid_delta)`.as('prepaid'),
          eb.fn.sum<string>('l.overage_delta').as('overage'),
        ])
        .where('l.org_id', '=', orgId)
        .where('l.entry_type', '=', 'capture')
        .where('l.id', '>', fromId)
        .where('l.id', '<', toId)
        .groupBy(['l.project_id', 'p.name'])
        .orderBy('p.name')
        .orderBy('l.project_id')
        .execute();

      const packs = await tx
        .selectFrom('credit_ledger as l')
        .innerJoin('credit_pack_purchases as c', (j) =>
          j
            .onRef('c.org_id', '=', 'l.org_id')
            .on(sql<boolean>`l.idempotency_key = ${CREDIT_PACK_KEY_PREFIX} || c.id`),
        )
        .select(['c.id', 'c.pack_id', 'c.credits', 'c.amount_cents', 'c.payment_intent_id', 'c.settled_at'])
        .where('l.org_id', '=', orgId)
        .where('l.entry_type', '=', 'grant_prepaid')
        .where('l.id', '>', fromId)
        .where('l.id', '<', toId)
        .orderBy('l.id')
        .execute();

      const charges = await tx
        .selectFrom('billing_charges')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('charged_at', '>=', start)
        .where('charged_at', '<', end)
        .where('kind', '<>', 'invoice')
        .orderBy('charged_at')
        .orderBy('business_key')
        .execute();

      const hasWallet = org.wallet_org !== null;
      // Platform bills that occurred before this period's end and that no earlier invoice took: the
      // previous one took those recorded by its issue that occurred before its end. A bill the platform
      // sends late (it occurred in a period already invoiced) is on the next invoice, never on none.
      const previous = hasWallet
        ? await tx
            .selectFrom('invoices')
            .select('wallet_ledger_through')
            .where('org_id', '=', orgId)
            .where('kind', '=', 'invoice')
            .where('period_start', '<', start)
            .orderBy('period_start', 'desc')
            .limit(1)
            .executeTakeFirst()
        : undefined;
      const afterId = previous?.wallet_ledger_through ?? 0;
      const last = hasWallet
        ? await tx
            .selectFrom('wallet_ledger')
            .select((eb) => eb.fn.max('id').as('id'))
            .where('org_id', '=', orgId)
            .executeTakeFirst()
        : undefined;
      const throughId = last?.id == null ? afterId : Number(last.id);
      const walletDebits = hasWallet
        ? await tx
            .selectFrom('wallet_ledger as l')
            .innerJoin('projects as p', 'p.id', 'l.project_id')
            .select([
              'l.project_id',
              'p.name',
              'l.platform',
              sql<string>`count(*) FILTER (WHERE l.entry_type = 'spend')`.as('bills'),
              sql<string>`coalesce(-sum(l.balance_delta) FILTER (WHERE l.entry_type = 'spend'), 0)`.as(
                'spend',
              ),
              sql<string>`coalesce(-sum(l.balance_delta) FILTER (WHERE l.entry_type = 'fee'), 0)`.as('fee'),
            ])
            .where('l.org_id', '=', orgId)
            .where('l.entry_type', 'in', ['spend', 'fee'])
            .where('l.id', '<=', throughId)
            .where('l.effective_at', '<', end)
            // What the previous invoice took: recorded by then and occurred before this period.
            .where((eb) => eb.or([eb('l.id', '>', afterId), eb('l.effective_at', '>=', start)]))
            .groupBy(['l.project_id', 'p.name', 'l.platform'])
            .orderBy('p.name')
            .orderBy('l.project_id')
            .orderBy('l.platform')
            .execute()
        : [];
      const topUps = hasWallet
        ? await tx
            .selectFrom('wallet_top_ups')
            .select(['id', 'method', 'amount_cents', 'settled_at', 'payment_intent_id', 'wire_reference'])
            .where('org_id', '=', orgId)
            .where('status', '=', 'succeeded')
            .where('settled_at', '>=', start)
            .where('settled_at', '<', end)
            .orderBy('settled_at')
            .orderBy('id')
            .execute()
        : [];
      const withdrawals = hasWallet
        ? await tx
            .selectFrom('wallet_withdrawal_legs')
            .select(['id', 'refund_cents', 'settled_at', 'stripe_refund_id'])
            .where('org_id', '=', orgId)
            .where('status', '=', 'succeeded')
            .where('settled_at', '>=', start)
            .where('settled_at', '<', end)
            .orderBy('settled_at')
            .orderBy('id')
            .execute()
        : [];
      const balance = hasWallet
        ? await tx
            .selectFrom('wallet_ledger')
            .select((eb) => eb.fn.sum<string>('balance_delta').as('cents'))
            .where('org_id', '=', orgId)
            .where('effective_at', '<', end)
            .executeTakeFirst()
        : undefined;

      return {
        org: { id: org.id, name: org.name, mode: org.billing_mode, timeZone: org.time_zone ?? null },
        tier: (own?.tier_id ?? org.tier_id) as TierId,
        start,
        end,
        closed: input.closed,
        charges: charges.map((c) => ({
          businessKey: c.business_key,
          kind: c.kind,
          status: c.status,
          amountCents: c.amount_cents,
          lines: c.lines as ChargeLeg['lines'],
          paymentIntentId: c.payment_intent_id,
          refundId: c.refund_id,
          chargedAt: c.charged_at,
        })),
        credits: credits.map((c) => ({
          projectId: c.project_id!,
          projectName: c.name,
          rolledOver: num(c.rolled_over),
          included: num(c.included),
          prepaid: num(c.prepaid),
          overage: num(c.overage),
        })),
        packs: packs.map((p) => ({
          purchaseId: p.id,
          packId: p.pack_id,
          credits: p.credits,
          amountCents: p.amount_cents,
          paymentIntentId: p.payment_intent_id,
          settledAt: p.settled_at,
        })),
        walletLedgerThrough: hasWallet ? throughId : null,
        walletDebits: walletDebits.map((d) => ({
          projectId: d.project_id!,
          projectName: d.name,
          platform: d.platform!,
          bills: num(d.bills),
          spendCents: num(d.spend),
          feeCents: num(d.fee),
        })),
        topUps: topUps.map((t) => ({
          id: t.id,
          method: t.method,
          amountCents: t.amount_cents,
          settledAt: t.settled_at!,
          reference: t.payment_intent_id ?? t.wire_reference,
        })),
        withdrawals: withdrawals.map((w) => ({
          id: w.id,
          refundCents: w.refund_cents,
          settledAt: w.settled_at!,
          reference: w.stripe_refund_id,
        })),
        walletBalanceAtEndCents: hasWallet ? num(balance?.cents) : null,
      };
    });
}
