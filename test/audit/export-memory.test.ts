import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';

/**
 * Issue 11: an export of 1,000,000 audit rows streams in bounded memory. The rows are inserted by
 * generate_series (their hashes are placeholders: this measures the export, not the chain). The API runs
 * in a process of its own (export-server.ts), whose resident set size is sampled from /proc while each
 * format is read over HTTP; the bytes are counted as they arrive, never kept. The server first exports
 * the first 100,000 rows in each format (JIT, pools, and V8 sizing its heap for the work, whose garbage
 * it collects lazily); the whole export's peak RSS must then stay within the bound of that export's peak:
 * memory does not grow with the rows. Buffering would add about the export's size (380-490 MB).
 */
const ROWS = 1_000_000;
const RSS_GROWTH_BOUND_MB = 150;
/** The first 100,000 rows' range: row n occurred n seconds after 2026-01-01T00:00:00Z. */
const WARM_UP_TO = '2026-01-02T03:46:41Z';
const SERVER = fileURLToPath(new URL('./export-server.ts', import.meta.url));

let t: TestDatabase;
let server: ChildProcess;
let baseUrl: string;
let apiKey: string;
/** The server's peak RSS while exporting the first 100,000 rows, per format. */
const warmPeak: Record<string, number> = {};

beforeAll(async () => {
  t = await createTestDatabase();
  const { orgId } = await makeOrg(t.db);
  apiKey = (await createApiKey(t.db, orgId)).apiKey;
  // node --import tsx, not the tsx CLI: that runs the script in a child process of its own, whose RSS
  // would not be the one read here.
  server = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: { ...process.env, DATABASE_URL: t.url },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = new Promise<string>((resolve, reject) => {
    createInterface({ input: server.stdout! }).once('line', resolve);
    server.once('exit', (code) => reject(new Error(`export server exited ${code}`)));
  });
  const started = Date.now();
  // Two halves on two connections: index maintenance is most of the time, and it runs in parallel. The
  // rows are a bulk load of test data: the per-row foreign-key check on the org (a trigger) is skipped
  // where the role may (as pg_restore does); the org exists.
  const half = ROWS / 2;
  const { rows: roles } = await sql<{ superuser: boolean }>`
    SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`.execute(t.db);
  const superuser = roles[0]?.superuser === true;
  await Promise.all(
    [1, half + 1].map((from) =>
      t.db.transaction().execute(async (trx) => {
        if (superuser) await sql`SET LOCAL session_replication_role = replica`.execute(trx);
        await sql`
          INSERT INTO audit_events (org_id, seq, occurred_at, actor_type, actor_id, action, key, before, after,
                                    prev_hash, hash)
          SELECT ${orgId}, n, timestamptz '2026-01-01T00:00:00Z' + n * interval '1 second', 'workflow',
                 ${`wallet:${orgId}`}, 'wallet.top_up_succeeded', 'wallet-top-up:' || n, NULL,
                 ('{"method": "card", "status": "succeeded", "amountCents": ' || n || '}')::jsonb,
                 lpad(to_hex(n - 1), 64, '0'), lpad(to_hex(n), 64, '0')
            FROM generate_series(${from}::int, ${from + half - 1}::int) AS n
        `.execute(trx);
      }),
    ),
  );
  await sql`INSERT INTO audit_chain_heads (org_id, seq, hash)
            VALUES (${orgId}, ${ROWS}, lpad(to_hex(${ROWS}::int), 64, '0'))`.execute(t.db);
  await sql`ANALYZE audit_events`.execute(t.db);
  console.log(`inserted ${ROWS} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  baseUrl = `http://127.0.0.1:${await port}`;
  // Warm the server up on the first tenth of the rows (JIT, pools, V8 sizing its heap for this work), so
  // that the baseline is the server at work, not at rest: what is measured is whether memory grows with
  // the rows exported.
  for (const format of ['csv', 'jsonl'])
    warmPeak[format] = (await streamExport(format, `&to=${WARM_UP_TO}`)).peak;
}, 120_000);

afterAll(async () => {
  server?.kill('SIGTERM');
  await t?.close();
});

const rssOf = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** Reads an export, counting bytes and lines; returns them with the server's RSS at the start and peak. */
async function streamExport(format: string, query = '') {
  const pid = server.pid!;
  const baseline = rssOf(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 25);
  try {
    const res = await fetch(`${baseUrl}/v1/audit-events?format=${format}${query}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(res.status).toBe(200);
    let bytes = 0;
    let lines = 0;
    let tail = '';
    for await (const chunk of res.body!) {
      const buf = chunk as Uint8Array;
      bytes += buf.length;
      for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines += 1;
      tail = (tail + Buffer.from(buf.subarray(Math.max(0, buf.length - 1000))).toString()).slice(-1000);
    }
    peak = Math.max(peak, rssOf(pid));
    return { bytes, lines, tail, start: baseline, peak };
  } finally {
    clearInterval(sampler);
  }
}

const MB = 1024 * 1024;

/** How far the whole export's peak RSS went past the 100,000-row export's, in MB; logged with the rest. */
function growthOf(format: string, r: Awaited<ReturnType<typeof streamExport>>): number {
  const growth = (r.peak - warmPeak[format]!) / MB;
  console.log(
    `${format}: ${(r.bytes / 1e6).toFixed(0)} MB in ${r.lines} lines; server RSS ${(r.start / MB).toFixed(0)} MB ` +
      `at the start, ${(r.peak / MB).toFixed(0)} MB at peak (${(warmPeak[format]! / MB).toFixed(0)} MB for ` +
      `100,000 rows): ${growth.toFixed(0)} MB more`,
  );
  return growth;
}

describe('exporting 1,000,000 audit rows', () => {
  it('streams CSV with bounded server RSS growth', async () => {
    const r = await streamExport('csv');
    const growth = growthOf('csv', r);
    expect(r.lines).toBe(ROWS + 1);
    expect(r.tail).toContain(`,${ROWS},2026-01-12T13:46:40.000Z,workflow,`);
    expect(r.bytes).toBeGreaterThan(300_000_000);
    expect(growth).toBeLessThan(RSS_GROWTH_BOUND_MB);
  });

  it('streams JSON Lines with bounded server RSS growth', async () => {
    const r = await streamExport('jsonl');
    const growth = growthOf('jsonl', r);
    expect(r.lines).toBe(ROWS);
    expect(r.tail).toContain(`"seq":${ROWS},"occurredAt":"2026-01-12T13:46:40.000Z"`);
    expect(r.bytes).toBeGreaterThan(400_000_000);
    expect(growth).toBeLessThan(RSS_GROWTH_BOUND_MB);
  });
});
