import { useState, type FormEvent } from 'react';
import { query } from '../../api/client';
import type { WalletEntry } from '../../api/types';
import { Button, SelectField, UtcDayRangeFields } from '../../components/Field';
import { PagedTable } from '../../components/PagedTable';
import { ProjectFilter } from '../../components/ProjectFilter';
import { Money } from '../../components/ui';
import { formatDateTime, utcDayEnd, utcDayStart } from '../../lib/dates';
import { platformName, walletEntryName } from '../../lib/labels';
import { usePaged } from '../../lib/usePaged';
import { useProjects } from '../../lib/useProjects';

const ENTRY_TYPES = [
  'spend',
  'fee',
  'top_up_started',
  'top_up_succeeded',
  'top_up_failed',
  'wire_credit',
  'withdrawal',
  'withdrawal_reversed',
] as const satisfies readonly WalletEntry['entryType'][];
const PLATFORMS = ['meta', 'tiktok', 'google'] as const satisfies readonly NonNullable<
  WalletEntry['platform']
>[];

interface Filters {
  entryType: string;
  platform: string;
  projectId: string;
  from: string;
  to: string;
}
const NO_FILTERS: Filters = { entryType: '', platform: '', projectId: '', from: '', to: '' };
const isFiltered = (f: Filters) => Object.values(f).some((v) => v !== '');

/**
 * The wallet ledger newest first (GET /v1/wallet/transactions) with its filters; `version` changes when
 * the page knows the wallet moved (a top-up), which reads the first page again.
 */
export function WalletTransactions({ version = 0 }: { version?: number }) {
  const projects = useProjects();
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const pathFor = (cursor?: string) =>
    `/v1/wallet/transactions${query({
      entryType: filters.entryType,
      platform: filters.platform,
      projectId: filters.projectId.trim(),
      from: filters.from ? utcDayStart(filters.from) : undefined,
      to: filters.to ? utcDayEnd(filters.to) : undefined,
      limit: 25,
      cursor,
    })}`;
  const paged = usePaged<WalletEntry>(pathFor, `${pathFor()}#${version}`);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
  };

  return (
    <div className="stack">
      <form className="filters" onSubmit={onSubmit} aria-label="Filter wallet transactions">
        <SelectField
          label="Type"
          value={draft.entryType}
          onChange={(e) => setDraft({ ...draft, entryType: e.target.value })}
          options={[
            { value: '', label: 'All types' },
            ...ENTRY_TYPES.map((t) => ({ value: t, label: walletEntryName(t) })),
          ]}
        />
        <SelectField
          label="Platform"
          value={draft.platform}
          onChange={(e) => setDraft({ ...draft, platform: e.target.value })}
          options={[
            { value: '', label: 'All platforms' },
            ...PLATFORMS.map((p) => ({ value: p, label: platformName(p) })),
          ]}
        />
        <ProjectFilter
          projects={projects.list}
          value={draft.projectId}
          onChange={(projectId) => setDraft({ ...draft, projectId })}
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
        what="wallet transactions"
        caption="Wallet transactions, newest first"
        rowKey={(r) => String(r.id)}
        testId="wallet-transactions"
        moreLabel="Load older transactions"
        empty={{
          title: 'No wallet transactions',
          body: isFiltered(filters)
            ? 'Nothing matches these filters.'
            : 'Top-ups, ad spend and fees appear here.',
        }}
        columns={[
          { header: 'When', cell: (r) => formatDateTime(r.effectiveAt) },
          { header: 'Type', cell: (r) => walletEntryName(r.entryType) },
          { header: 'Platform', secondary: true, cell: (r) => (r.platform ? platformName(r.platform) : '—') },
          {
            header: 'Project',
            secondary: true,
            cell: (r) => (r.projectId ? projects.nameOf(r.projectId) : '—'),
          },
          { header: 'Amount', numeric: true, cell: (r) => <Money cents={r.balanceDeltaCents} /> },
          {
            header: 'Pending',
            numeric: true,
            secondary: true,
            cell: (r) => (r.pendingDeltaCents === 0 ? '—' : <Money cents={r.pendingDeltaCents} />),
          },
          { header: 'Balance after', numeric: true, cell: (r) => <Money cents={r.balanceAfterCents} /> },
        ]}
      />
    </div>
  );
}
