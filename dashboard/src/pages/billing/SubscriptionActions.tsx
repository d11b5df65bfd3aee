import { useState } from 'react';
import { describeError, newIdempotencyKey, request } from '../../api/client';
import type { ChangeResult, Subscription } from '../../api/types';
import { Button, FormMessage } from '../../components/Field';
import { formatDate } from '../../lib/dates';
import { formatCents } from '../../lib/money';

type Action = 'cancel' | 'pause' | 'resume';

const CONFIRM: Record<Action, (s: Subscription) => string> = {
  cancel: (s) =>
    `Cancel at the end of the period? The plan stays until ${formatDate(s.currentPeriod.end)}; resuming before then undoes it.`,
  pause: () =>
    'Pause now? The unused paid time is refunded, included credits stop (prepaid credits stay) and new generations are refused until you resume.',
  resume: (s) =>
    s.status === 'paused'
      ? 'Resume now? A new period starts today and is charged in full.'
      : s.status === 'canceled'
        ? 'Subscribe again on the last plan? The first period is charged now.'
        : 'Keep the subscription? The pending cancel is undone.',
};

const LABEL: Record<Action, string> = {
  cancel: 'Cancel subscription',
  pause: 'Pause subscription',
  resume: 'Resume subscription',
};

const OUTCOME: Record<ChangeResult['outcome'], string> = {
  applied_now: 'Changed.',
  scheduled: 'Scheduled.',
  unscheduled: 'The scheduled change was removed.',
  cancel_at_period_end: 'Canceled: the subscription ends at the period end.',
  canceled: 'Canceled.',
  cancel_undone: 'Resumed: the cancel was undone.',
  paused: 'Paused.',
  unpaused: 'Resumed: a new period has started.',
  resubscribed: 'Subscribed again.',
};

/** Cancel (at the period end), pause (now) and resume, each confirmed first and sent once. */
export function SubscriptionActions({
  subscription: s,
  onChanged,
}: {
  subscription: Subscription;
  onChanged: () => void;
}) {
  const [asking, setAsking] = useState<{ action: Action; key: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: 'good' | 'danger'; text: string } | null>(null);

  const available: Action[] = [];
  if (s.status === 'active' && !s.cancelAtPeriodEnd) available.push('cancel', 'pause');
  if (s.status === 'past_due') available.push('cancel');
  if (s.cancelAtPeriodEnd || s.status === 'paused' || s.status === 'canceled') available.push('resume');

  async function run(action: Action, key: string) {
    setBusy(true);
    setMessage(null);
    try {
      const result = await request<ChangeResult>('POST', `/v1/subscription/${action}`, {
        body: action === 'resume' ? {} : undefined,
        idempotencyKey: key,
      });
      const money =
        result.totalCents > 0
          ? ` Charged ${formatCents(result.totalCents)}.`
          : result.totalCents < 0
            ? ` Refunded ${formatCents(-result.totalCents)}.`
            : '';
      setMessage({ tone: 'good', text: `${OUTCOME[result.outcome]}${money}` });
      setAsking(null);
      onChanged();
    } catch (err) {
      setMessage({ tone: 'danger', text: describeError(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="stack">
      {asking ? (
        <div className="confirm" role="group" aria-label={`Confirm: ${LABEL[asking.action]}`}>
          <p>{CONFIRM[asking.action](s)}</p>
          <div className="form-actions">
            <Button
              variant={asking.action === 'resume' ? 'primary' : 'danger'}
              busy={busy}
              onClick={() => run(asking.action, asking.key)}
            >
              Yes, {LABEL[asking.action].toLowerCase()}
            </Button>
            <Button variant="ghost" disabled={busy} onClick={() => setAsking(null)}>
              Keep as it is
            </Button>
          </div>
        </div>
      ) : (
        <>
          <p className="muted">
            {s.cancelAtPeriodEnd
              ? `Ends on ${formatDate(s.currentPeriod.end)} unless resumed.`
              : s.status === 'active'
                ? 'Cancel takes effect at the end of the period; pause stops billing now.'
                : 'The subscription is not renewing.'}
          </p>
          <div className="form-actions">
            {available.map((action) => (
              <Button
                key={action}
                variant={action === 'resume' ? 'primary' : 'secondary'}
                onClick={() => {
                  setMessage(null);
                  setAsking({ action, key: newIdempotencyKey(action) });
                }}
              >
                {LABEL[action]}
              </Button>
            ))}
          </div>
        </>
      )}
      {message ? <FormMessage tone={message.tone}>{message.text}</FormMessage> : null}
    </div>
  );
}
