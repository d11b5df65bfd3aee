import { useId, type ReactNode } from 'react';
import { ApiError, describeError } from '../api/client';
import type { Resource } from '../lib/useResource';
import { formatCents } from '../lib/money';
import { formatCredits } from '../lib/numbers';

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      {children ? <p className="page-lede">{children}</p> : null}
    </header>
  );
}

interface CardProps {
  title: string;
  /** Beside the title: a badge, a link. */
  aside?: ReactNode;
  children: ReactNode;
  className?: string;
  busy?: boolean;
}

/** A titled section; its heading names the region for assistive technology. */
export function Card({ title, aside, children, className, busy }: CardProps) {
  const id = useId();
  return (
    <section className={`card ${className ?? ''}`} aria-labelledby={id} aria-busy={busy || undefined}>
      <div className="card-head">
        <h2 id={id}>{title}</h2>
        {aside}
      </div>
      {children}
    </section>
  );
}

export function Money({ cents, className }: { cents: number; className?: string }) {
  return (
    <span className={`num ${cents < 0 ? 'negative' : ''} ${className ?? ''}`}>{formatCents(cents)}</span>
  );
}

export function Credits({ value }: { value: number }) {
  return <span className="num">{formatCredits(value)}</span>;
}

/** A labelled figure; `testId` lets the browser tests read exactly the number a person sees. */
export function Stat({
  label,
  value,
  hint,
  testId,
  emphasis,
}: {
  label: string;
  value: ReactNode;
  hint?: ReactNode;
  testId?: string;
  emphasis?: boolean;
}) {
  return (
    <div className={`stat ${emphasis ? 'stat-emphasis' : ''}`}>
      <dt>{label}</dt>
      <dd>
        <span className="stat-value num" data-testid={testId}>
          {value}
        </span>
        {hint ? <span className="stat-hint">{hint}</span> : null}
      </dd>
    </div>
  );
}

export function StatGrid({ children }: { children: ReactNode }) {
  return <dl className="stat-grid">{children}</dl>;
}

export type Tone = 'neutral' | 'good' | 'warning' | 'danger' | 'info';

export function Badge({ tone = 'neutral', children }: { tone?: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** A message that matters to the whole page: ads paused, a cancel pending. */
export function Banner({ tone, title, children }: { tone: Tone; title: string; children?: ReactNode }) {
  return (
    <div className={`banner banner-${tone}`} role={tone === 'danger' ? 'alert' : 'status'}>
      <strong>{title}</strong>
      {children ? <div>{children}</div> : null}
    </div>
  );
}

/** Placeholder lines while a card's data loads; announced as busy, not read out. */
export function Skeleton({ lines = 3, label }: { lines?: number; label: string }) {
  return (
    <div className="skeleton" role="status" aria-busy="true" aria-label={`Loading ${label}`}>
      {Array.from({ length: lines }, (_, i) => (
        <div key={i} className="skeleton-line" style={{ width: `${90 - i * 15}%` }} />
      ))}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children ? <p className="empty-body">{children}</p> : null}
    </div>
  );
}

export function ErrorState({ error, onRetry, what }: { error: unknown; onRetry?: () => void; what: string }) {
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div className="error-state" role="alert">
      <p className="error-title">Could not load {what}.</p>
      <p className="error-body">
        {describeError(error)}
        {code ? <span className="error-code"> ({code})</span> : null}
      </p>
      {onRetry ? (
        <button type="button" className="button button-secondary" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** Renders a resource's three states the same way everywhere. */
export function Loaded<T>({
  resource,
  what,
  lines,
  children,
}: {
  resource: Resource<T>;
  what: string;
  lines?: number;
  children: (data: T) => ReactNode;
}) {
  if (resource.status === 'loading') return <Skeleton lines={lines} label={what} />;
  if (resource.status === 'error')
    return <ErrorState error={resource.error} onRetry={resource.reload} what={what} />;
  return <>{children(resource.data)}</>;
}
