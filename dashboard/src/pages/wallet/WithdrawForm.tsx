import { useState, type FormEvent } from 'react';
import { describeError, newIdempotencyKey, request } from '../../api/client';
import type { Wallet, Withdrawal } from '../../api/types';
import { Button, FormMessage, TextField } from '../../components/Field';
import { formatCents, parseDollars } from '../../lib/money';

/**
 * A withdrawal (POST /v1/wallet/withdrawals): refunds to the cards that paid, newest first, each less
 * the processor's fee. Empty amount: the whole settled balance. Confirmed first, sent once.
 */
export function WithdrawForm({ wallet, onWithdrawn }: { wallet: Wallet; onWithdrawn: () => void }) {
  const [amount, setAmount] = useState('');
  const [confirming, setConfirming] = useState<{ cents: number | null; key: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: 'good' | 'danger'; text: string } | null>(null);
  const cents = amount.trim() === '' ? null : parseDollars(amount);
  const invalid = amount.trim() !== '' && (cents === null || cents < 1);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (invalid) return;
    setMessage(null);
    setConfirming({ cents, key: newIdempotencyKey('withdrawal') });
  };

  async function confirm() {
    if (!confirming) return;
    setBusy(true);
    try {
      const result = await request<Withdrawal>('POST', '/v1/wallet/withdrawals', {
        body: confirming.cents === null ? {} : { amountCents: confirming.cents },
        idempotencyKey: confirming.key,
      });
      setMessage({
        tone: 'good',
        text:
          `Withdrawing ${formatCents(result.debitedCents)}: ${formatCents(result.refundedCents)} back to your cards ` +
          `after ${formatCents(result.feeCents)} in processor fees.` +
          (result.unrefundedCents > 0
            ? ` ${formatCents(result.unrefundedCents)} could not be refunded by card.`
            : ''),
      });
      setConfirming(null);
      setAmount('');
      onWithdrawn();
    } catch (err) {
      setMessage({ tone: 'danger', text: describeError(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack" onSubmit={onSubmit} aria-label="Withdraw from the wallet">
      <p className="muted">Refunded to the cards that paid, newest first, less 2.9% + 30¢ per refund.</p>
      <TextField
        label="Amount to withdraw (USD)"
        inputMode="decimal"
        autoComplete="off"
        placeholder={`All: ${formatCents(Math.max(0, wallet.balanceCents))}`}
        value={amount}
        onChange={(e) => {
          setAmount(e.target.value);
          setConfirming(null);
        }}
        error={invalid ? 'An amount in dollars, or empty for the whole balance.' : null}
        hint="Leave empty to withdraw the whole settled balance."
      />
      {confirming ? (
        <div className="confirm" role="group" aria-label="Confirm the withdrawal">
          <p>
            Withdraw {confirming.cents === null ? 'the whole settled balance' : formatCents(confirming.cents)}
            ? Ads pause if the balance falls below the floor.
          </p>
          <div className="form-actions">
            <Button variant="danger" busy={busy} onClick={confirm}>
              Yes, withdraw
            </Button>
            <Button variant="ghost" disabled={busy} onClick={() => setConfirming(null)}>
              Keep the funds
            </Button>
          </div>
        </div>
      ) : (
        <div className="form-actions">
          <Button type="submit" variant="secondary" disabled={invalid || wallet.balanceCents <= 0}>
            Withdraw…
          </Button>
        </div>
      )}
      {message ? <FormMessage tone={message.tone}>{message.text}</FormMessage> : null}
    </form>
  );
}
