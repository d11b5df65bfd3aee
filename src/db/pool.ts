import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';

const INT8_OID = 20;
const DATE_OID = 1082;

/** int8 -> number, refusing anything that would not be exact rather than silently rounding money. */
export function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n))
    throw new RangeError(`int8 value ${text} exceeds the exact range of a JS number`);
  return n;
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return parseInt8;
    // A date column is a calendar day (the wallet's local days), not an instant: pg's default would make
    // it a Date at midnight in this process's time zone. Kept as its 'YYYY-MM-DD' text.
    if (oid === DATE_OID) return (text: string) => text;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

const statementNames = new Map<string, string>();

/**
 * Marks a fixed SQL text (placeholders only, no interpolated values) as a named prepared statement:
 * each connection parses and plans it once, instead of on every execution as for any other parameterized
 * query. For the hot path of the API, where planning costs PostgreSQL several times what running the
 * query does. Run it as `CompiledQuery.raw(text, parameters)`; the text is returned unchanged.
 */
export function preparedStatement(text: string): string {
  if (!statementNames.has(text)) statementNames.set(text, `layers_${statementNames.size + 1}`);
  return text;
}

/**
 * pg.Client that sends the texts registered by preparedStatement() under their statement names, and that
 * never crashes the process when its connection dies.
 */
class Client extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // pg emits 'error' when the server ends a session (restart, failover, pg_terminate_backend). pg-pool
    // listens only while the client is idle; one checked out (between two queries of a request, or in a
    // transaction) would otherwise throw the event and exit the process. Nothing is lost by ignoring it
    // here: the error also rejects the query in flight, any later query on the client fails with "not
    // queryable", and the pool discards a client in that state when it is released.
    this.on('error', ignoreConnectionError);
  }

  // pg's overloads of query() cannot be restated one by one; every call passes through unchanged except
  // for the name, so the one loose signature here is as safe as theirs.
  override query(config: unknown, ...rest: unknown[]): never {
    const name = typeof config === 'string' ? statementNames.get(config) : undefined;
    const query = super.query as (...args: unknown[]) => never;
    return query.call(this, name ? { name, text: config } : config, ...rest);
  }
}

const ignoreConnectionError = (): void => undefined;

/**
 * How long a query waits for a connection (a new one, or a free one of the pool) before it fails with
 * DATABASE_UNAVAILABLE. Without it a request waits forever while PostgreSQL is unreachable without
 * refusing (a partition, a failover in progress). Generous enough that a busy pool under load is not
 * mistaken for an outage.
 */
export const CONNECTION_TIMEOUT_MS = 5_000;

export interface DbOptions {
  max?: number;
  applicationName?: string;
  connectionTimeoutMs?: number;
}

export function createPool(connectionString: string, opts: DbOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
    types,
    Client,
    application_name: opts.applicationName ?? 'layers-billing',
    // Storage is UTC; make every session agree so timestamps never depend on the server's default.
    options: '-c TimeZone=UTC',
  });
  // An idle connection dropped by the server (restart, failover) must not crash the process: the pool
  // discards it and the next query opens a new one.
  pool.on('error', (err) => console.error(`PostgreSQL dropped an idle connection: ${err.message}`));
  return pool;
}

export function createDb(connectionString: string, opts: DbOptions = {}): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool(connectionString, opts) }) });
}

export type Db = Kysely<Database>;
