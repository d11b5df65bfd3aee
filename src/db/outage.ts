import { DomainError } from '../errors';

/**
 * How long a caller should wait before retrying after DATABASE_UNAVAILABLE. A restart or a managed
 * failover takes seconds; asking for more would only slow the recovery of well-behaved clients.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/** SQLSTATEs that mean "the server cannot serve this session right now", not "this statement is wrong". */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: a restart (`pg_ctl stop -m fast`) or a terminated backend
  '57P02', // crash_shutdown: another backend crashed and the server is resetting
  '57P03', // cannot_connect_now: the server is starting up or shutting down
  '53300', // too_many_connections: the server is full, typically while clients reconnect after a restart
  '25006', // read_only_sql_transaction: we reached a primary that a failover has just demoted
]);

/** Socket-level failures on the way to PostgreSQL (refused while down, reset by a restart, unreachable). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Messages of pg and pg-pool for a connection that died or never came, which carry no code: the server
 * went away mid-session, the pool's connectionTimeoutMillis expired, or a client already broken by one of
 * these was used again.
 */
const CONNECTION_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

function isOutageItself(err: Error & { code?: unknown }): boolean {
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (code && (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || NETWORK_CODES.has(code))) {
    return true;
  }
  return CONNECTION_MESSAGES.some((m) => err.message.includes(m));
}

/**
 * True when `err` says PostgreSQL could not be reached or dropped the connection (restart, failover,
 * network), as opposed to a fault of the statement or of our code. Looks through `cause` chains and the
 * errors of an AggregateError (Node reports a refused dual-stack connect as one).
 */
export function isDatabaseOutage(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 5) return false;
  if (isOutageItself(err)) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isDatabaseOutage(e, depth + 1))) return true;
  return isDatabaseOutage(err.cause, depth + 1);
}

/** The answer to a request that met a database outage: retryable, with how long to wait. */
export function databaseUnavailable(): DomainError {
  return new DomainError('DATABASE_UNAVAILABLE', 'the database is unavailable; retry after a moment', {
    retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
  });
}
