import { useState, type FormEvent } from 'react';
import { describeError, request } from '../../api/client';
import type { CreditAlert } from '../../api/types';
import { Button, FormMessage, TextField } from '../../components/Field';
import { Stat, StatGrid } from '../../components/ui';
import { formatCredits } from '../../lib/numbers';

const alertText = (a: CreditAlert): string =>
  a.thresholdCredits === null ? 'Off' : `Below ${formatCredits(a.thresholdCredits)} credits`;

/**
 * The credit alert: one notification per period when `available` first drops below the threshold. It
 * opens with the stored setting (GET /v1/credits/alerts) and shows PUT's answer after each save, which
 * is what a reload would read.
 */
export function CreditAlertForm({ alert }: { alert: CreditAlert }) {
  const [current, setCurrent] = useState<CreditAlert>(alert);
  const [value, setValue] = useState(alert.thresholdCredits === null ? '' : String(alert.thresholdCredits));
  const [saved, setSaved] = useState<CreditAlert | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const valid = /^[1-9][0-9]{0,11}$/.test(value.replace(/,/g, ''));

  async function save(thresholdCredits: number | null) {
    setBusy(true);
    setError(null);
    try {
      const stored = await request<CreditAlert>('PUT', '/v1/credits/alerts', { body: { thresholdCredits } });
      setCurrent(stored);
      setSaved(stored);
      if (stored.thresholdCredits === null) setValue('');
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (valid) void save(Number(value.replace(/,/g, '')));
  };

  return (
    <form className="stack" onSubmit={onSubmit} aria-label="Credit alert">
      <p className="muted">One email per period when available credits first fall below this number.</p>
      <StatGrid>
        <Stat label="Current alert" value={alertText(current)} testId="credit-alert-current" />
      </StatGrid>
      <TextField
        label="Alert below (credits)"
        inputMode="numeric"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        error={value === '' || valid ? null : 'A whole number of credits, at least 1.'}
      />
      <div className="form-actions">
        <Button type="submit" busy={busy} disabled={!valid}>
          Save alert
        </Button>
        <Button
          variant="ghost"
          disabled={busy || current.thresholdCredits === null}
          onClick={() => void save(null)}
        >
          Turn off
        </Button>
      </div>
      {error ? <FormMessage tone="danger">{error}</FormMessage> : null}
      {saved ? (
        <FormMessage tone="good">
          <span data-testid="credit-alert-saved">
            {saved.thresholdCredits === null
              ? 'The credit alert is off.'
              : `Alert set: below ${formatCredits(saved.thresholdCredits)} credits.`}
          </span>
        </FormMessage>
      ) : null}
    </form>
  );
}
