import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports';

/**
 * `npm run dev` end to end, as a new developer runs it: embedded PostgreSQL, the Temporal dev server,
 * local Stripe, worker, API and demo org all start from an empty data directory; the printed key works;
 * Ctrl-C stops everything and leaves no process behind.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'layers-dev-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const processesUsing = (needle: string) =>
  execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(needle) && !line.includes('vitest'));

describe('npm run dev', () => {
  it('starts the whole engine with embedded defaults and stops it all on Ctrl-C', async () => {
    const [api, pg, temporal, ui] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(api),
      DEV_POSTGRES_PORT: String(pg),
      DEV_TEMPORAL_PORT: String(temporal),
      DEV_TEMPORAL_UI_PORT: String(ui),
      DEV_DATA_DIR: dataDir,
    };
    for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'STRIPE_SECRET_KEY', 'STRIPE_API_BASE'])
      delete env[name];
    const child = spawn('npx', ['tsx', 'src/dev/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    const deadline = Date.now() + 100_000;
    while (!out.includes('ready') && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 250));
    expect(out).toContain('[dev] ready');

    const apiKey = /demo API key\s+(\S+)/.exec(out)![1]!;
    const res = await fetch(`http://127.0.0.1:${api}/v1/credits`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ balance: 6400, available: 6400, subscriptionTier: 'pro' });
    expect(processesUsing(dataDir).length).toBeGreaterThan(0);

    // Ctrl-C reaches the whole foreground process group in a terminal; here, each process of ours.
    for (const line of processesUsing('src/dev/main.ts'))
      process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGINT');
    await exited;
    expect(out).toContain('[dev] stopped');
    expect(processesUsing(dataDir)).toEqual([]);
    expect(processesUsing(`--port ${temporal}`)).toEqual([]);
  }, 150_000);
});
