import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';

const INT8_OID = 20;

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
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export interface DbOptions {
  max?: number;
  applicationName?: string;
}

export function createPool(connectionString: string, opts: DbOptions = {}): pg.Pool {
  return new pg.Pool({
    connectionString,
    max: opts.max ?? 10,
    types,
    application_name: opts.applicationName ?? 'layers-billing',
    // Storage is UTC; make every session agree so timestamps never depend on the server's default.
    options: '-c TimeZone=UTC',
  });
}

export function createDb(connectionString: string, opts: DbOptions = {}): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool(connectionString, opts) }) });
}

export type Db = Kysely<Database>;
