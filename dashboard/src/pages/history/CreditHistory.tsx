import { useState, type FormEvent } from 'react';
import { query } from '../../api/client';
import type { CreditEntry } from '../../api/types';
import { Button, SelectField, TextField, UtcDayRangeFields } from '../../components/Field';
import { PagedTable } from '../../components/PagedTable';
import { ProjectFilter } from '../../components/ProjectFilter';
import { formatDateTime, utcDayEnd, utcDayStart } from '../../lib/dates';
import { creditEntryName } from '../../lib/labels';
import { formatCredits, formatSignedCredits } from '../../lib/numbers';
import { usePaged } from '../../lib/usePaged';
import { useProjects } from '../../lib/useProjects';

const ENTRY_TYPES = [
  'grant_included',
  'grant_prepaid',
  'reserve',
  'capture',
  'release',
  'expire',
  'period_close',
  'expire_rollover',
  'expire_pending',
  'allowance_change',
  'revoke_included',
] as const satisfies readonly CreditEntry['entryType'][];

interface Filters {
  entryType: string;
  projectId: string;
  generationId: string;
  from: string;
  to: string;
}
const NO_FILTERS: Filters = { entryType: '', projectId: '', generationId: '', from: '', to: '' };
const isFiltered = (f: Filters) => Object.values(f).some((v) => v !== '');

/**
 * The billing history (GET /v1/credits/history): every credit movement newest first, with the exact
 * credits each one moved and the balance after it in the whole ledger.
 */
export function CreditHistory() {
  const projects = useProjects();
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const pathFor = (cursor?: string) =>
    `/v1/credits/history${query({
      entryType: filters.entryType,
      projectId: filters.projectId.trim(),
      generationId: filters.generationId.trim(),
      from: filters.from ? utcDayStart(filters.from) : undefined,
      to: filters.to ? utcDayEnd(filters.to) : undefined,
      limit: 25,
      cursor,
    })}`;
  const paged = usePaged<CreditEntry>(pathFor, pathFor());

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
  };

  return (
    <div className="stack">
      <form className="filters" onSubmit={onSubmit} aria-label="Filter credit history">
        <SelectField
          label="Type"
          value={draft.entryType}
          onChange={(e) => setDraft({ ...draft, entryType: e.target.value })}
          options={[
            { value: '', label: 'All types' },
            ...ENTRY_TYPES.map((t) => ({ value: t, label: creditEntryName(t) })),
          ]}
        />
        <ProjectFilter
          projects={projects.list}
          value={draft.projectId}
          onChange={(projectId) => setDraft({ ...draft, projectId })}
        />
        <TextField
          label="Generation ID"
          value={draft.generationId}
          onChange={(e) => setDraft({ ...draft, generationId: e.target.value })}
        />
        <UtcDayRangeFields
          from={draft.from}
          to={draft.to}
          onChange={(range) => setDraft({ ...draft, ...range })}
        />
        <div className="form-actions">
          <Button type="submit" variant="secondary">
            Apply filters
          </Button>
        </div>
      </form>
      <PagedTable
        paged={paged}
        what="credit history"
        caption="Credit history, newest first"
        rowKey={(r) => String(r.id)}
        testId="credit-history"
        moreLabel="Load older entries"
        empty={{
          title: 'No credit movements',
          body: isFiltered(filters)
            ? 'Nothing matches these filters.'
            : 'Grants, charges and expiries appear here.',
        }}
        columns={[
          { header: 'When', cell: (r) => formatDateTime(r.effectiveAt) },
          { header: 'Type', cell: (r) => creditEntryName(r.entryType) },
          {
            header: 'Project',
            secondary: true,
            cell: (r) => (r.projectId ? projects.nameOf(r.projectId) : '—'),
          },
          { header: 'Generation', secondary: true, cell: (r) => r.generationId ?? '—' },
          { header: 'Credits', numeric: true, cell: (r) => formatSignedCredits(r.credits) },
          {
            header: 'Held',
            numeric: true,
            secondary: true,
            cell: (r) => (r.reservedDelta === 0 ? '—' : formatSignedCredits(r.reservedDelta)),
          },
          { header: 'Balance after', numeric: true, cell: (r) => formatCredits(r.balanceAfter) },
        ]}
      />
    </div>
  );
}
