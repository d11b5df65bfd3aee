import { CompiledQuery, sql } from 'kysely';
import { preparedStatement, type Db } from '../db/pool';
import { DomainError, notFound } from '../errors';
import { requireCredits, requireNonEmpty } from './amounts';
import type { CapturePlan } from './capture';
import { actualCostCeiling } from './ceiling';
import { GENERATION_FORMATS, requireFormat, unknownFormat, type GenerationFormat } from './formats';
import { pendingExpiryKey, reserveKey, settleKey } from './ids';
import { exactEstimates, toCreditsSnapshot, type CreditsSnapshot, type SnapshotRow } from './snapshot';

/**
 * The credit ledger's operations. Each is a single call of a PL/pgSQL function (src/db/functions/),
 * so each runs in one transaction with one ledger row, and each is idempotent on its business key: the
 * generation id for reserve/capture/release/expire (as the keys of src/credits/ids.ts), the caller's key
 * for grants.
 * Input is validated here first, so bad input never reaches the database.
 */

export type Executor = Pick<Db, 'executeQuery'> | Db;

export interface ReserveInput {
  orgId: string;
  projectId: string;
  generationId: string;
  format: string;
}

export type ReserveResult =
  | {
      status: 'reserved';
      reservedCredits: number;
      duplicate: boolean;
      credits: CreditsSnapshot;
      /** The most a completion may charge (src/credits/ceiling.ts); absent in histories older than it. */
      maxActualCredits?: number;
    }
  | {
      status: 'rejected';
      code: 'BILLING_EXHAUSTED';
      required: number;
      available: number;
      credits: CreditsSnapshot;
    };

// The generation path's three ledger calls, one per reservation and one to end it: prepared, so each
// connection plans them once.
const RESERVE = preparedStatement(
  'SELECT outcome, amount, snapshot FROM credits_reserve($1, $2, $3, $4, $5)',
);
const CAPTURE = preparedStatement(
  'SELECT outcome, status, detail, snapshot FROM credits_capture($1, $2, $3, $4, $5, $6)',
);
const RELEASE = preparedStatement(
  'SELECT outcome, status, amount, expired, snapshot FROM credits_release($1, $2, $3, $4, $5, $6)',
);

export async function reserveCredits(db: Db, input: ReserveInput): Promise<ReserveResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const projectId = requireNonEmpty('projectId', input.projectId);
  const generationId = requireNonEmpty('generationId', input.generationId);
  const format = requireFormat(input.format);
  const { rows } = await db.executeQuery<{
    outcome: string;
    amount: number | null;
    snapshot: SnapshotRow | null;
  }>(CompiledQuery.raw(RESERVE, [orgId, projectId, generationId, format, reserveKey(generationId)]));
  const row = single(rows);
  switch (row.outcome) {
    case 'reserved':
    case 'duplicate':
      return {
        status: 'reserved',
        reservedCredits: row.amount!,
        duplicate: row.outcome === 'duplicate',
        credits: toCreditsSnapshot(row.snapshot!),
        maxActualCredits: (await formatCatalog(db)).ceilings[format],
      };
    case 'insufficient': {
      const credits = toCreditsSnapshot(row.snapshot!);
      return {
        status: 'rejected',
        code: 'BILLING_EXHAUSTED',
        required: row.amount!,
        available: credits.available,
        credits,
      };
    }
    case 'unknown_format':
      throw unknownFormat();
    case 'project_not_found':
      throw notFound('project', projectId);
    case 'generation_conflict':
      throw new DomainError('IDEMPOTENCY_KEY_REUSED', `generation ${generationId} already exists`, {
        generationId,
      });
    default:
      throw unexpected('credits_reserve', row.outcome);
  }
}

export interface CaptureInput {
  orgId: string;
  generationId: string;
  actualCredits: number;
  model?: string | null;
}

export interface CaptureResult {
  status: 'captured';
  duplicate: boolean;
  charge: CapturePlan & { actual: number; hold: number };
  credits: CreditsSnapshot;
}

export async function captureCredits(db: Db, input: CaptureInput): Promise<CaptureResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const generationId = requireNonEmpty('generationId', input.generationId);
  const actual = requireCredits('actualCredits', input.actualCredits, { min: 0 });
  const model = input.model == null ? null : requireNonEmpty('model', input.model);
  const { rows } = await db.executeQuery<{
    outcome: string;
    status: string | null;
    detail: (Omit<CapturePlan, 'released'> & { actual: number; hold: number }) | null;
    snapshot: SnapshotRow | null;
  }>(
    CompiledQuery.raw(CAPTURE, [
      orgId,
      generationId,
      actual,
      model,
      settleKey(generationId),
      pendingExpiryKey(generationId),
    ]),
  );
  const row = single(rows);
  switch (row.outcome) {
    case 'captured':
    case 'duplicate': {
      const d = row.detail!;
      return {
        status: 'captured',
        duplicate: row.outcome === 'duplicate',
        charge: { ...d, released: Math.max(0, d.hold - d.actual) },
        credits: toCreditsSnapshot(row.snapshot!),
      };
    }
    case 'conflict':
      throw alreadyEnded(generationId, 'captured', { capturedCredits: row.detail?.actual });
    case 'not_held':
      throw alreadyEnded(generationId, row.status);
    case 'not_found':
      throw notFound('generation', generationId);
    default:
      throw unexpected('credits_capture', row.outcome);
  }
}

export type ReleaseKind = 'release' | 'expire';

export interface ReleaseInput {
  orgId: string;
  generationId: string;
  kind: ReleaseKind;
  reason?: string | null;
}

export interface ReleaseResult {
  status: 'released' | 'expired';
  duplicate: boolean;
  releasedCredits: number;
  /**
   * Of the released credits, those whose expiry came while this generation held them: they left the
   * balance with the release (src/credits/expiry.ts). Absent in histories older than it.
   */
  expiredCredits?: number;
  credits: CreditsSnapshot;
}

export async function releaseCredits(db: Db, input: ReleaseInput): Promise<ReleaseResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const generationId = requireNonEmpty('generationId', input.generationId);
  const reason = input.reason == null ? null : requireNonEmpty('reason', input.reason, 1000);
  const { rows } = await db.executeQuery<{
    outcome: string;
    status: string | null;
    amount: number | null;
    expired: number | null;
    snapshot: SnapshotRow | null;
  }>(
    CompiledQuery.raw(RELEASE, [
      orgId,
      generationId,
      input.kind,
      reason,
      settleKey(generationId),
      pendingExpiryKey(generationId),
    ]),
  );
  const row = single(rows);
  switch (row.outcome) {
    case 'released':
    case 'expired':
    case 'duplicate':
      return {
        status: row.status as 'released' | 'expired',
        duplicate: row.outcome === 'duplicate',
        releasedCredits: row.amount!,
        expiredCredits: row.expired!,
        credits: toCreditsSnapshot(row.snapshot!),
      };
    case 'not_held':
      throw alreadyEnded(generationId, row.status);
    case 'not_found':
      throw notFound('generation', generationId);
    default:
      throw unexpected('credits_release', row.outcome);
  }
}

export interface GrantInput {
  orgId: string;
  bucket: 'included' | 'prepaid';
  credits: number;
  idempotencyKey: string;
  reason?: string;
}

export async function grantCredits(
  db: Db,
  input: GrantInput,
): Promise<{ duplicate: boolean; credits: CreditsSnapshot }> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const credits = requireCredits('credits', input.credits);
  const key = requireNonEmpty('idempotencyKey', input.idempotencyKey);
  if (input.bucket !== 'included' && input.bucket !== 'prepaid') {
    throw new DomainError('VALIDATION_FAILED', 'bucket must be included or prepaid', { field: 'bucket' });
  }
  const { rows } = await sql<{ outcome: string; snapshot: SnapshotRow | null }>`
    SELECT outcome, snapshot FROM credits_grant(${orgId}, ${input.bucket}, ${credits}, ${key}, ${input.reason ?? null})
  `.execute(db);
  const row = single(rows);
  switch (row.outcome) {
    case 'granted':
    case 'duplicate':
      return { duplicate: row.outcome === 'duplicate', credits: toCreditsSnapshot(row.snapshot!) };
    case 'key_reused':
      throw new DomainError('IDEMPOTENCY_KEY_REUSED', `grant key ${key} was used for a different grant`, {
        key,
      });
    case 'org_not_found':
      throw notFound('organization', orgId);
    default:
      throw unexpected('credits_grant', row.outcome);
  }
}

export async function getCreditsSnapshot(db: Db, orgId: string): Promise<CreditsSnapshot> {
  const { rows } = await sql<{
    snapshot: SnapshotRow | null;
  }>`SELECT credit_snapshot(${orgId}) AS snapshot`.execute(db);
  const snapshot = rows[0]?.snapshot;
  if (!snapshot) throw notFound('organization', orgId);
  return toCreditsSnapshot(snapshot);
}

export interface FormatCatalog {
  estimates: Readonly<Record<GenerationFormat, number>>;
  /** The most a completion of each format may charge. */
  ceilings: Readonly<Record<GenerationFormat, number>>;
}

const catalogByDb = new WeakMap<Db, Promise<FormatCatalog>>();

/**
 * The format catalog (generation_formats), read once per Db (per process): it changes only by a
 * migration, and GET /v1/credits and every reservation would otherwise read the table again. A process
 * that outlives a migration changing it shows the old estimates in snapshots and applies the old
 * ceilings until it restarts; the ledger functions always reserve by the table itself.
 */
export function formatCatalog(db: Db): Promise<FormatCatalog> {
  const cached = catalogByDb.get(db);
  if (cached) return cached;
  const catalog = db
    .selectFrom('generation_formats')
    .select(['format', 'estimated_credits', 'max_actual_credits'])
    .execute()
    .then((rows) => {
      const estimates = exactEstimates(Object.fromEntries(rows.map((r) => [r.format, r.estimated_credits])));
      const ceiling = new Map(rows.map((r) => [r.format, r.max_actual_credits]));
      const ceilings = Object.fromEntries(
        GENERATION_FORMATS.map((f) => [f, actualCostCeiling(estimates[f], ceiling.get(f) ?? null)]),
      ) as Record<GenerationFormat, number>;
      return { estimates: Object.freeze(estimates), ceilings: Object.freeze(ceilings) };
    });
  catalogByDb.set(db, catalog);
  // A failed read (database down) is not remembered: the next request tries again.
  catalog.catch(() => {
    if (catalogByDb.get(db) === catalog) catalogByDb.delete(db);
  });
  return catalog;
}

export async function formatEstimates(db: Db): Promise<Readonly<Record<GenerationFormat, number>>> {
  return (await formatCatalog(db)).estimates;
}

export function single<T>(rows: T[]): T {
  if (rows.length !== 1) throw new Error(`ledger function returned ${rows.length} rows, expected 1`);
  return rows[0]!;
}

function alreadyEnded(
  generationId: string,
  status: string | null,
  extra: Record<string, unknown> = {},
): DomainError {
  return new DomainError(
    'GENERATION_ALREADY_ENDED',
    `generation ${generationId} has already ended (${status})`,
    {
      generationId,
      status,
      ...extra,
    },
  );
}

export function unexpected(fn: string, outcome: string): Error {
  return new Error(`${fn} returned unexpected outcome ${outcome}`);
}
