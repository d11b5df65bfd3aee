import { useState, type FormEvent } from 'react';
import { query, requestText } from '../../api/client';
import { DataTable } from '../../components/DataTable';
import { Button, UtcDayRangeFields } from '../../components/Field';
import { EmptyState, Loaded } from '../../components/ui';
import { daysAgoInput, formatDateTime, todayInput, utcDayEnd, utcDayStart } from '../../lib/dates';
import { formatInteger } from '../../lib/numbers';
import { useResource } from '../../lib/useResource';

/** One line of the JSON Lines export (README, "Audit trail"; src/api/routes/audit.schemas.ts). */
interface AuditEvent {
  orgId: string;
  seq: number;
  occurredAt: string;
  actor: { type: string; id: string };
  action: string;
  key: string;
  before: unknown;
  after: unknown;
  prevHash: string;
  hash: string;
}

/** The page shows the newest events of the window; the export links give all of them. */
const SHOWN = 200;

const exportUrl = (from: string, to: string, format: 'csv' | 'jsonl') =>
  `/v1/audit-events${query({ from: utcDayStart(from), to: utcDayEnd(to), format })}`;

const brief = (value: unknown): string =>
  value === null || value === undefined ? '—' : JSON.stringify(value);

/**
 * The audit trail: who changed money or billing settings, when, from what to what. Read from the same
 * streamed export (GET /v1/audit-events, JSON Lines) the download links give, for a window of days.
 */
export function AuditTrail() {
  const [draft, setDraft] = useState({ from: daysAgoInput(30), to: todayInput() });
  const [range, setRange] = useState(draft);
  const events = useResource(async (signal) => {
    const text = await requestText(exportUrl(range.from, range.to, 'jsonl'), { signal });
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as AuditEvent);
  }, `${range.from}/${range.to}`);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setRange(draft);
  };

  return (
    <div className="stack">
      <form className="filters" onSubmit={onSubmit} aria-label="Audit trail window">
        <UtcDayRangeFields
          from={draft.from}
          to={draft.to}
          required
          onChange={(range) => setDraft({ ...draft, ...range })}
        />
        <div className="form-actions">
          <Button type="submit" variant="secondary">
            Show
          </Button>
        </div>
      </form>
      <p className="downloads">
        Export {range.from} to {range.to}:{' '}
        <a
          className="button button-small button-secondary"
          href={exportUrl(range.from, range.to, 'csv')}
          download
        >
          CSV
        </a>{' '}
        <a
          className="button button-small button-secondary"
          href={exportUrl(range.from, range.to, 'jsonl')}
          download
        >
          JSON Lines
        </a>
      </p>
      <Loaded resource={events} what="the audit trail" lines={5}>
        {(all) => {
          if (all.length === 0)
            return (
              <EmptyState title="No audited actions in this window">
                Top-ups, plan changes, settings and invoices appear here as they happen.
              </EmptyState>
            );
          const newest = all.slice(-SHOWN).reverse();
          return (
            <>
              {all.length > SHOWN ? (
                <p className="muted">
                  The newest {SHOWN} of {formatInteger(all.length)} events; the export has them all.
                </p>
              ) : null}
              <DataTable
                caption="Audit trail, newest first"
                hideCaption
                rows={newest}
                rowKey={(e) => String(e.seq)}
                testId="audit-trail"
                columns={[
                  { header: '#', numeric: true, cell: (e) => formatInteger(e.seq) },
                  { header: 'When', cell: (e) => formatDateTime(e.occurredAt) },
                  { header: 'Action', cell: (e) => <code>{e.action}</code> },
                  { header: 'By', cell: (e) => `${e.actor.type}: ${e.actor.id}` },
                  {
                    header: 'Change',
                    secondary: true,
                    cell: (e) => (
                      <span className="audit-change">
                        {brief(e.before)} → {brief(e.after)}
                      </span>
                    ),
                  },
                ]}
              />
            </>
          );
        }}
      </Loaded>
    </div>
  );
}
