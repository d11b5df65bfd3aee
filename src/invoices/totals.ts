import type { InvoiceLine, InvoicePayment, InvoiceTotals } from './document';

/** a + b, refused once the running sum leaves the safe integers (it could no longer be exact). */
function add(field: string, a: number, b: number): number {
  const sum = a + b;
  if (!Number.isSafeInteger(b) || !Number.isSafeInteger(sum)) {
    throw new RangeError(`${field}: the sum is not a safe integer of cents`);
  }
  return sum;
}

export interface TotalsContext {
  /**
   * The wallet's settled balance at the end of the period (agency orgs; may be negative, since platform
   * bills are recorded whatever the balance). Absent for BYO orgs and credit notes: nothing is owed.
   */
  walletBalanceEndCents?: number;
}

/**
 * The totals of a document, as plain sums (./document.ts, InvoiceTotals, says what each one means):
 * every line in `totalCents`; by who pays it into `chargedCents` (Stripe) and `paidFromWalletCents`;
 * the collections in `collectedCents`; and `owedCents`, the negative part of the wallet's balance at the
 * end of the period, which only the caller knows. Top-ups and withdrawals move the wallet, not the
 * invoice, so they count in no total.
 */
export function totalsOf(
  lines: readonly Pick<InvoiceLine, 'amountCents' | 'paidBy'>[],
  payments: readonly Pick<InvoicePayment, 'kind' | 'amountCents'>[],
  { walletBalanceEndCents }: TotalsContext = {},
): InvoiceTotals {
  let totalCents = 0;
  let chargedCents = 0;
  let paidFromWalletCents = 0;
  for (const line of lines) {
    totalCents = add('totalCents', totalCents, line.amountCents);
    if (line.paidBy === 'stripe') chargedCents = add('chargedCents', chargedCents, line.amountCents);
    if (line.paidBy === 'wallet') {
      paidFromWalletCents = add('paidFromWalletCents', paidFromWalletCents, line.amountCents);
    }
  }
  let collectedCents = 0;
  for (const p of payments) {
    if (p.kind === 'collection') collectedCents = add('collectedCents', collectedCents, p.amountCents);
  }
  if (walletBalanceEndCents !== undefined && !Number.isSafeInteger(walletBalanceEndCents)) {
    throw new RangeError('walletBalanceEndCents: must be a safe integer of cents');
  }
  // 0 - x, not -x: nothing owed is 0, never -0.
  const owedCents =
    walletBalanceEndCents !== undefined && walletBalanceEndCents < 0 ? 0 - walletBalanceEndCents : 0;
  return { totalCents, chargedCents, paidFromWalletCents, owedCents, collectedCents };
}
