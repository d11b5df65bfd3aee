import { useState, type FormEvent } from 'react';
import { describeError, request } from '../../api/client';
import type { AutoTopUpSettings, Wallet } from '../../api/types';
import { Button, CheckboxField, FormMessage, TextField } from '../../components/Field';
import { Money } from '../../components/ui';
import { formatDate } from '../../lib/dates';
import { centsToDecimal, parseDollars } from '../../lib/money';

const dollars = (cents: number) => centsToDecimal(cents);

/**
 * Auto-top-up (PUT /v1/wallet/auto-top-up): below the threshold, charge the card the amount, never more
 * than the daily cap in one day of the wallet's time zone. Shows how much of today's cap is used.
 */
export function AutoTopUpForm({ wallet, onSaved }: { wallet: Wallet; onSaved: () => void }) {
  const a = wallet.autoTopUp;
  const [enabled, setEnabled] = useState(a.enabled);
  const [threshold, setThreshold] = useState(dollars(a.thresholdCents));
  const [amount, setAmount] = useState(dollars(a.amountCents));
  const [cap, setCap] = useState(dollars(a.dailyCapCents));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: 'good' | 'danger'; text: string } | null>(null);

  const parsed = { threshold: parseDollars(threshold), amount: parseDollars(amount), cap: parseDollars(cap) };
  const bad = 'An amount in dollars, like 500 or 500.00.';
  const valid = parsed.threshold !== null && parsed.amount !== null && parsed.cap !== null;

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!valid) return;
    setBusy(true);
    setMessage(null);
    const body: AutoTopUpSettings = {
      enabled,
      thresholdCents: parsed.threshold!,
      amountCents: parsed.amount!,
      dailyCapCents: parsed.cap!,
    };
    try {
      const saved = await request<Wallet>('PUT', '/v1/wallet/auto-top-up', { body });
      setMessage({
        tone: 'good',
        text: saved.autoTopUp.enabled ? 'Auto-top-up saved and on.' : 'Auto-top-up saved; it is off.',
      });
      onSaved();
    } catch (err) {
      setMessage({ tone: 'danger', text: describeError(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack" onSubmit={onSubmit} aria-label="Auto-top-up settings">
      <div className="cap-usage" data-testid="auto-top-up-today">
        <label htmlFor="cap-used">
          Today ({formatDate(a.today)}, {wallet.timeZone}): <Money cents={a.usedTodayCents} /> of{' '}
          <Money cents={a.dailyCapCents} /> cap used, <Money cents={a.remainingTodayCents} /> left
        </label>
        <meter id="cap-used" min={0} max={Math.max(a.dailyCapCents, 1)} value={a.usedTodayCents} />
      </div>
      <CheckboxField
        label="Top up automatically"
        checked={enabled}
        onChange={(e) => setEnabled(e.target.checked)}
        hint="Charges the card on file when the balance drops below the threshold."
      />
      <div className="form-row">
        <TextField
          label="When the balance is below (USD)"
          inputMode="decimal"
          value={threshold}
          onChange={(e) => setThreshold(e.target.value)}
          error={parsed.threshold === null ? bad : null}
        />
        <TextField
          label="Add (USD)"
          inputMode="decimal"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
          error={parsed.amount === null ? bad : null}
          hint="At least $10.00."
        />
        <TextField
          label="Daily cap (USD)"
          inputMode="decimal"
          value={cap}
          onChange={(e) => setCap(e.target.value)}
          error={parsed.cap === null ? bad : null}
          hint="The most auto-top-up charges in one day."
        />
      </div>
      <div className="form-actions">
        <Button type="submit" busy={busy} disabled={!valid}>
          Save auto-top-up
        </Button>
      </div>
      {message ? (
        <FormMessage tone={message.tone}>
          <span data-testid="auto-top-up-result">{message.text}</span>
        </FormMessage>
      ) : null}
    </form>
  );
}
