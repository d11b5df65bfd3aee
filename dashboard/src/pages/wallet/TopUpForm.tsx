import { useState, type FormEvent } from 'react';
import { describeError, newIdempotencyKey, request } from '../../api/client';
import type { TopUpResult } from '../../api/types';
import { Button, FormMessage, RadioGroup, TextField } from '../../components/Field';
import { formatDate } from '../../lib/dates';
import { formatCents, parseDollars } from '../../lib/money';

const MINIMUM_CENTS = 1_000;
type Method = 'card' | 'ach';

/**
 * A manual top-up (POST /v1/wallet/top-ups): by card, charged at once, or by ACH, pending until it
 * settles. One Idempotency-Key per intended top-up: a retried submit cannot charge twice.
 */
export function TopUpForm({ onToppedUp }: { onToppedUp: () => void }) {
  const [amount, setAmount] = useState('');
  const [method, setMethod] = useState<Method>('card');
  const [key, setKey] = useState(() => newIdempotencyKey('top-up'));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: 'good' | 'danger'; text: string } | null>(null);

  const cents = parseDollars(amount);
  const amountError =
    amount === ''
      ? null
      : cents === null
        ? 'An amount in dollars, like 250 or 250.50.'
        : cents < MINIMUM_CENTS
          ? 'At least $10.00.'
          : null;
  const fresh = () => setKey(newIdempotencyKey('top-up'));

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (cents === null || cents < MINIMUM_CENTS) return;
    setBusy(true);
    setMessage(null);
    try {
      const { topUp } = await request<TopUpResult>('POST', '/v1/wallet/top-ups', {
        body: { amountCents: cents, method },
        idempotencyKey: key,
      });
      const what = `${formatCents(topUp.amountCents)} by ${method === 'card' ? 'card' : 'ACH'}`;
      if (topUp.status === 'succeeded') setMessage({ tone: 'good', text: `Added ${what}.` });
      else if (topUp.status === 'pending')
        setMessage({
          tone: 'good',
          text: topUp.expectedSettlement
            ? `${what} is on its way, expected ${formatDate(topUp.expectedSettlement)}.`
            : `${what} is being charged.`,
        });
      else
        setMessage({
          tone: 'danger',
          text: `The top-up of ${what} failed: ${topUp.failureReason ?? 'declined'}.`,
        });
      setAmount('');
      fresh();
      onToppedUp();
    } catch (err) {
      setMessage({ tone: 'danger', text: describeError(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack" onSubmit={onSubmit} aria-label="Top up the wallet">
      <TextField
        label="Top-up amount (USD)"
        inputMode="decimal"
        autoComplete="off"
        placeholder="250.00"
        value={amount}
        onChange={(e) => {
          setAmount(e.target.value);
          fresh();
        }}
        error={amountError}
        hint="At least $10.00."
      />
      <RadioGroup<Method>
        legend="Pay by"
        name="top-up-method"
        value={method}
        onChange={(m) => {
          setMethod(m);
          fresh();
        }}
        options={[
          { value: 'card', label: 'Card on file', description: 'Instant' },
          { value: 'ach', label: 'ACH bank debit', description: '1–3 business days (Pro and Team)' },
        ]}
      />
      <div className="form-actions">
        <Button type="submit" busy={busy} disabled={cents === null || cents < MINIMUM_CENTS}>
          Top up
        </Button>
      </div>
      {message ? (
        <FormMessage tone={message.tone}>
          <span data-testid="top-up-result">{message.text}</span>
        </FormMessage>
      ) : null}
    </form>
  );
}
