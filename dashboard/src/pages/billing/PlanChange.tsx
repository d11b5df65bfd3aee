import { useState, type FormEvent } from 'react';
import { describeError, newIdempotencyKey, request } from '../../api/client';
import type { ChangeResult, PlanChangeBody, PlanPreview, Subscription } from '../../api/types';
import { DataTable } from '../../components/DataTable';
import { Button, FormMessage, RadioGroup, SelectField, TextField } from '../../components/Field';
import { Money } from '../../components/ui';
import { formatDate, formatDateTime } from '../../lib/dates';
import { planText, TIER_ORDER, tierName } from '../../lib/labels';
import { formatCents } from '../../lib/money';

type Effective = NonNullable<PlanChangeBody['effective']>;
type Interval = Subscription['interval'];
type Tier = Subscription['tier'];

interface Draft {
  tier: Tier;
  interval: Interval;
  seats: string;
  effective: Effective;
}

/** The change the form describes, as the preview and the change take it. */
function bodyOf(draft: Draft): PlanChangeBody {
  return {
    tier: draft.tier,
    interval: draft.interval,
    seats: Number(draft.seats),
    ...(draft.effective === 'now' ? { effective: 'now' as const } : {}),
  };
}

const OUTCOME_TEXT: Record<PlanPreview['outcome'], (p: PlanPreview) => string> = {
  applied_now: () => 'Applies now.',
  scheduled: (p) => `Takes effect at the renewal on ${formatDate(p.effectiveAt)}.`,
  unscheduled: () => 'Cancels the change scheduled for the renewal.',
};

function settlementText(p: { totalCents: number }): string {
  if (p.totalCents > 0) return `Charged to the card on file now: ${formatCents(p.totalCents)}`;
  if (p.totalCents < 0) return `Refunded to the card now: ${formatCents(-p.totalCents)}`;
  return 'Nothing is charged or refunded now.';
}

/**
 * Change plan in two steps: the exact preview (POST /v1/subscription/preview: the lines and the total
 * the change would charge or refund, computed at `at`), then the change itself, confirmed with that same
 * body under one Idempotency-Key, so a retried click is the same change.
 */
export function PlanChange({
  subscription,
  onChanged,
}: {
  subscription: Subscription;
  onChanged: () => void;
}) {
  const [draft, setDraft] = useState<Draft>({
    tier: subscription.tier,
    interval: subscription.interval,
    seats: String(subscription.seats),
    effective: 'renewal',
  });
  const [preview, setPreview] = useState<{ body: PlanChangeBody; result: PlanPreview; key: string } | null>(
    null,
  );
  const [busy, setBusy] = useState<'preview' | 'confirm' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<ChangeResult | null>(null);

  const seatsValid = /^[1-9][0-9]{0,4}$/.test(draft.seats);
  const update = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setPreview(null);
    setError(null);
  };

  async function onPreview(event: FormEvent) {
    event.preventDefault();
    if (!seatsValid) return;
    setBusy('preview');
    setError(null);
    setDone(null);
    const body = bodyOf(draft);
    try {
      const result = await request<PlanPreview>('POST', '/v1/subscription/preview', { body });
      setPreview({ body, result, key: newIdempotencyKey('plan-change') });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  }

  async function onConfirm() {
    if (!preview) return;
    setBusy('confirm');
    setError(null);
    try {
      const result = await request<ChangeResult>('POST', '/v1/subscription/change', {
        body: preview.body,
        idempotencyKey: preview.key,
      });
      setDone(result);
      setPreview(null);
      onChanged();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="plan-change">
      <form className="form-row" onSubmit={onPreview} aria-label="Change plan">
        <SelectField
          label="New plan"
          value={draft.tier}
          onChange={(e) => update({ tier: e.target.value as Tier })}
          options={TIER_ORDER.map((id) => ({ value: id, label: tierName(id) }))}
        />
        <SelectField
          label="Billing interval"
          value={draft.interval}
          onChange={(e) => update({ interval: e.target.value as Interval })}
          options={[
            { value: 'month', label: 'Monthly' },
            { value: 'year', label: 'Yearly (40% less)' },
          ]}
        />
        <TextField
          label="Seats"
          inputMode="numeric"
          value={draft.seats}
          onChange={(e) => update({ seats: e.target.value })}
          error={seatsValid ? null : 'A whole number of seats, at least 1.'}
          className="field-narrow"
        />
        <RadioGroup<Effective>
          legend="A downgrade takes effect"
          name="effective"
          value={draft.effective}
          onChange={(effective) => update({ effective })}
          options={[
            { value: 'renewal', label: 'At the renewal' },
            { value: 'now', label: 'Now, refunding the difference' },
          ]}
          hint="Upgrades and interval changes always apply now, prorated to the second."
        />
        <div className="form-actions">
          <Button type="submit" variant="secondary" busy={busy === 'preview'} disabled={!seatsValid}>
            Preview change
          </Button>
        </div>
      </form>

      {error ? <FormMessage tone="danger">{error}</FormMessage> : null}

      {preview ? (
        <section className="preview" aria-labelledby="plan-preview-title" data-testid="plan-preview">
          <h3 id="plan-preview-title">
            {planText(preview.result.from)} → {planText(preview.result.to)}
          </h3>
          <p>
            {OUTCOME_TEXT[preview.result.outcome](preview.result)}{' '}
            <span className="muted small">Computed at {formatDateTime(preview.result.at)}.</span>
          </p>
          {preview.result.lines.length > 0 ? (
            <DataTable
              caption="What the change charges or refunds now"
              columns={[
                { header: 'Line', cell: (l) => l.description },
                { header: 'Amount', numeric: true, cell: (l) => <Money cents={l.amountCents} /> },
              ]}
              rows={preview.result.lines}
              rowKey={(l, i) => `${l.kind}-${i}`}
              testId="plan-preview-lines"
              footer={
                <tr>
                  <th scope="row">Total</th>
                  <td className="numeric">
                    <Money cents={preview.result.totalCents} className="strong" />
                  </td>
                </tr>
              }
            />
          ) : null}
          <p className="settlement" data-testid="plan-preview-total">
            {settlementText(preview.result)}
          </p>
          <div className="form-actions">
            <Button onClick={onConfirm} busy={busy === 'confirm'}>
              Confirm change
            </Button>
            <Button variant="ghost" onClick={() => setPreview(null)} disabled={busy === 'confirm'}>
              Back
            </Button>
          </div>
        </section>
      ) : null}

      {done ? (
        <FormMessage tone="good">
          <p data-testid="plan-change-result">
            {done.outcome === 'scheduled'
              ? `Scheduled: ${planText(done.subscription.scheduledChange ?? done.subscription)} from the renewal.`
              : `Now on ${planText(done.subscription)}.`}{' '}
            {settlementText(done)}
          </p>
        </FormMessage>
      ) : null}
    </div>
  );
}
