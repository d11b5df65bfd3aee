import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { planPrice } from '../../src/billing/prices';
import { adminUrl, withAdmin } from '../support/postgres';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'layers-sim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function scenarioFile(content: unknown): string {
  const file = join(dir, `scenario-${++files}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** The command as a finance team runs it: its own process, the bin, DATABASE_URL naming only the server. */
function simulate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'node',
      [`${ROOT}bin/layers-billing.mjs`, 'simulate', ...args],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: adminUrl() }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const databaseExists = (name: string) =>
  withAdmin(
    async (c) => (await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name])).rowCount === 1,
  );

const FEBRUARY_2027 = {
  start: '2027-01-31T10:00:00Z',
  until: '2027-03-31T10:00:00Z',
  org: { tier: 'plus' },
};

describe('layers-billing simulate', { timeout: 180_000 }, () => {
  it('prints the timeline on stdout: a 31 January anchor through 28 February in a common year', async () => {
    const res = await simulate(['--scenario', scenarioFile(FEBRUARY_2027), '--trace']);
    expect(res.code).toBe(0);
    const t = JSON.parse(res.stdout);
    expect(Object.keys(t)).toEqual([
      'periods',
      'charges',
      'prices',
      'finalSnapshot',
      'invoices',
      'ledgerDrift',
      'events',
    ]);
    expect(t.periods.map((p: { start: string; end: string }) => [p.start, p.end])).toEqual([
      ['2027-01-31T10:00:00.000Z', '2027-02-28T10:00:00.000Z'],
      ['2027-02-28T10:00:00.000Z', '2027-03-31T10:00:00.000Z'],
    ]);
    const monthly = planPrice({ tier: 'plus', interval: 'month', seats: 1 }).totalCents;
    expect(
      t.charges.map((c: { at: string; kind: string; amountCents: number }) => [c.at, c.kind, c.amountCents]),
    ).toEqual([
      ['2027-01-31T10:00:00.000Z', 'renewal', monthly],
      ['2027-02-28T10:00:00.000Z', 'renewal', monthly],
      ['2027-03-31T10:00:00.000Z', 'renewal', monthly],
    ]);
    expect(t.ledgerDrift).toBe(0);
    // --trace tells each step on stderr; the scratch database it names is gone with the run.
    expect(res.stderr).toMatch(/^\[simulate\] simulation, in all: \d+ ms$/m);
    const scratch = /^\[simulate\] scratch database (layers_sim_[0-9a-f]+)$/m.exec(res.stderr)?.[1];
    expect(scratch).toBeDefined();
    expect(await databaseExists(scratch!)).toBe(false);
  });

  it('writes the timeline to --out and says so in one line', async () => {
    const out = join(dir, 'timeline.json');
    const res = await simulate([
      '--scenario',
      scenarioFile({ ...FEBRUARY_2027, until: '2027-02-01T00:00:00Z' }),
      '--out',
      out,
    ]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ out, periods: 0, charges: 1, invoices: 0, ledgerDrift: 0 });
    const t = JSON.parse(readFileSync(out, 'utf8'));
    expect(t.finalSnapshot).toMatchObject({ subscriptionTier: 'plus', billingStatus: 'active' });
  });

  it.each([
    [
      'a bad event',
      () =>
        scenarioFile({
          ...FEBRUARY_2027,
          events: [
            { at: '2027-02-01T00:00:00Z', cancel: {} },
            { at: '2027-02-02T00:00:00Z', changePlan: { tier: 'gold' } },
          ],
        }),
      /^layers-billing simulate: .*scenario-\d+\.json: events\[1\]\.changePlan\.tier: must be one of "free", .*; got "gold"\n$/,
    ],
    [
      'ad spend for a BYO org',
      () =>
        scenarioFile({
          ...FEBRUARY_2027,
          events: [{ at: '2027-02-01T00:00:00Z', adSpend: { platform: 'meta', amountCents: 100 } }],
        }),
      /: events\[0\]\.adSpend: needs org\.mode "agency": a BYO org has no wallet \(WALLET_NOT_AVAILABLE\)\n$/,
    ],
    ['malformed JSON', () => scenarioFile('{"start": '), /scenario-\d+\.json: is not JSON: /],
    [
      'a file that is not there',
      () => join(dir, 'nothing.json'),
      /nothing\.json: cannot be read \(ENOENT\)\n$/,
    ],
  ])('exits 2 for %s, one line on stderr and no stack', async (_name, file, message) => {
    const res = await simulate(['--scenario', file()]);
    expect(res).toMatchObject({ code: 2, stdout: '' });
    expect(res.stderr).toMatch(message);
    expect(res.stderr).not.toMatch(/^\s+at /m);
  });

  it('exits 2 with its usage for a bad command line, and answers --help', async () => {
    const missing = await simulate([]);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toMatch(
      /missing --scenario[\s\S]*usage: layers-billing simulate --scenario <file>/,
    );
    const unknown = await simulate(['--scenario', 'x.json', '--fast']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--fast/);
    const help = await simulate(['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(
      /usage: layers-billing simulate --scenario <file> \[--out <file>\] \[--invoices <dir>\] \[--trace\]/,
    );
  });
});
