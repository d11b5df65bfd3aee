import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDb, type Db } from '../../src/db/pool';
import { databaseUrl, withAdmin } from './postgres';

export interface TestDatabase {
  db: Db;
  url: string;
  close(): Promise<void>;
}

/** A fresh, migrated database of this test file's own (dropped with the run in global teardown). */
export async function createTestDatabase(opts: { max?: number } = {}): Promise<TestDatabase> {
  return createDatabase(`TEMPLATE ${inject('templateDatabase')}`, opts);
}

/** A fresh database with nothing in it, for tests of migrating itself (dropped like the others). */
export async function createEmptyDatabase(opts: { max?: number } = {}): Promise<TestDatabase> {
  return createDatabase('', opts);
}

async function createDatabase(clause: string, opts: { max?: number }): Promise<TestDatabase> {
  const name = `layers_test_${inject('runId')}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name} ${clause}`));
  const url = databaseUrl(name);
  const db = createDb(url, { max: opts.max ?? 10, applicationName: 'layers-billing-test' });
  return { db, url, close: () => db.destroy() };
}
