import { useState, type FormEvent } from 'react';
import { describeError, request } from '../../api/client';
import type { Wallet } from '../../api/types';
import { Button, FormMessage, TextField } from '../../components/Field';
import { centsToDecimal, formatCents, parseDollars } from '../../lib/money';

/** The auto-pause floor (PUT /v1/wallet/floor): ads pause when the settled balance drops below it. */
export function FloorForm({ wallet, onSaved }: { wallet: Wallet; onSaved: () => void }) {
  const [floor, setFloor] = useState(centsToDecimal(wallet.floorCents));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: 'good' | 'danger'; text: string } | null>(null);
  const cents = parseDollars(floor);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (cents === null) return;
    setBusy(true);
    setMessage(null);
    try {
      const saved = await request<Wallet>('PUT', '/v1/wallet/floor', { body: { floorCents: cents } });
      setMessage({ tone: 'good', text: `Floor set to ${formatCents(saved.floorCents)}.` });
      onSaved();
    } catch (err) {
      setMessage({ tone: 'danger', text: describeError(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack" onSubmit={onSubmit} aria-label="Wallet floor">
      <TextField
        label="Pause ads below (USD)"
        inputMode="decimal"
        value={floor}
        onChange={(e) => setFloor(e.target.value)}
        error={cents === null ? 'An amount in dollars, like 100 or 100.00.' : null}
        hint="While auto-top-up is on, the floor must be at most its threshold."
      />
      <div className="form-actions">
        <Button type="submit" busy={busy} disabled={cents === null}>
          Save floor
        </Button>
      </div>
      {message ? <FormMessage tone={message.tone}>{message.text}</FormMessage> : null}
    </form>
  );
}
