import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { buildApi } from '../../src/api/server';
import { createDb } from '../../src/db/pool';
import { createGenerationClient } from '../../src/generations/client';
import { NO_RATE_LIMITS } from '../support/fixtures';

/**
 * The API alone in a process of its own over DATABASE_URL, for measuring what the export costs the
 * server (export-memory.test.ts reads this process's RSS from /proc): the test's own HTTP client and
 * database work stay out of the measurement. Temporal is never called by the export; its connection is
 * lazy and never made. Prints the port it listens on as its first line.
 */
const db = createDb(process.env.DATABASE_URL!, { max: 4 });
const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
const app = buildApi({
  db,
  generations: createGenerationClient(client, { taskQueue: 'unused', holdTimeoutMs: 1000 }),
  config: NO_RATE_LIMITS,
});
await app.listen({ port: 0, host: '127.0.0.1' });
console.log((app.server.address() as AddressInfo).port);
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => db.destroy())
    .then(() => process.exit(0));
});
