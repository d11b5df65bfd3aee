import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  descendants,
  devPorts,
  groupAlive,
  readPidFile,
  snapshot,
  startDev,
  survivors,
  waitUntilGone,
  type DevRun,
} from '../support/dev-mode';

/**
 * `npm run dev` end to end, as a new developer runs it: embedded PostgreSQL, the Temporal dev server,
 * local Stripe, worker, API and demo org all start from an empty data directory; the printed key works;
 * Ctrl-C, SIGTERM and SIGHUP stop everything; a run killed outright is cleaned up by the next one. The
 * runs share one data directory, which dev mode keeps between runs. Each test signals only the
 * `npm run dev` it started (or, for SIGKILL, the process its pid file names).
 */
const dataDir = mkdtempSync(join(tmpdir(), 'layers-dev-'));
const started: DevRun[] = [];
afterAll(async () => {
  // A failed assertion must not leave a run behind: stop our own groups, then remove the data.
  for (const run of started) if (groupAlive(run.child.pid!)) process.kill(-run.child.pid!, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const SERVICES = [/\/postgres -D /, /temporal server start-dev/, /localstripe/];

async function startReady() {
  const ports = await devPorts();
  const run = startDev(dataDir, ports);
  started.push(run);
  await run.waitFor('[dev] ready', 100_000);
  // The services, found from our child downwards, and the same three in the pid file.
  const tree = snapshot(descendants(run.child.pid!));
  const recorded = readPidFile(dataDir)!;
  for (const service of SERVICES) {
    const entry = recorded.children.find((c) => service.test(c.command));
    expect(entry, `${String(service)} in ${JSON.stringify(recorded)}`).toBeDefined();
    expect(tree.map((p) => p.pid)).toContain(entry!.pid);
  }
  return { run, ports, tree, recorded };
}

const demoOrg = (out: string) => /demo org\s+(\S+)/.exec(out)![1];
let firstDemoOrg: string | undefined;

describe('npm run dev', () => {
  it('starts the whole engine with embedded defaults and stops it all on Ctrl-C', async () => {
    const { run, ports, tree } = await startReady();
    const apiKey = /demo API key\s+(\S+)/.exec(run.output())![1]!;
    const res = await fetch(`http://127.0.0.1:${ports.PORT}/v1/credits`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ balance: 6400, available: 6400, subscriptionTier: 'pro' });
    // The worker charges the demo card through the local Stripe that dev mode built and handed to it.
    const bought = await fetch(`http://127.0.0.1:${ports.PORT}/v1/credit-packs`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': 'dev-mode-test',
      },
      body: JSON.stringify({ packId: 'pack_100' }),
    });
    expect(bought.status).toBe(201);
    expect(await bought.json()).toMatchObject({ status: 'succeeded', creditsGranted: 100 });
    firstDemoOrg = demoOrg(run.output());
    // Temporal's SQLite file writes ahead to a log instead of syncing a journal at every workflow task.
    expect(existsSync(join(dataDir, 'temporal.sqlite-wal'))).toBe(true);

    // The banner's dashboard address and its one-time sign-in link, which opens a session as the demo org.
    expect(run.output()).toMatch(new RegExp(`dashboard\\s+http://127\\.0\\.0\\.1:${ports.PORT}/dashboard/`));
    const link = /dashboard sign-in\s+(\S+)/.exec(run.output())![1]!;
    expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${ports.PORT}/dashboard/sign-in\\?token=`));
    const signedIn = await fetch(link, { redirect: 'manual' });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/dashboard/');
    const cookie = signedIn.headers.getSetCookie()[0]!.split(';')[0]!;
    const session = await fetch(`http://127.0.0.1:${ports.PORT}/v1/dashboard/session`, {
      headers: { cookie },
    });
    expect(session.status).toBe(200);
    expect(await session.json()).toMatchObject({ orgId: firstDemoOrg, orgName: 'Demo org' });
    // The demo key carries the dashboard scope too.
    const byKey = await fetch(`http://127.0.0.1:${ports.PORT}/v1/dashboard/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey }),
    });
    expect(byKey.status).toBe(201);
    const again = await fetch(link, { redirect: 'manual' });
    expect(again.headers.get('location')).toBe('/dashboard/?signin=expired');

    // Ctrl-C in a terminal signals the whole foreground process group.
    process.kill(-run.child.pid!, 'SIGINT');
    await run.closed;
    expect(run.output()).toContain('[dev] stopped');
    expect(await waitUntilGone(tree, 10_000)).toEqual([]);
    expect(groupAlive(run.child.pid!)).toBe(false);
    expect(readPidFile(dataDir)).toBeUndefined();
  }, 150_000);

  it('after a run killed with SIGKILL, the next run stops what it left behind; SIGTERM stops everything', async () => {
    const killed = await startReady();
    // Data is kept between runs: the same demo org, found rather than created again.
    expect(demoOrg(killed.run.output())).toBe(firstDemoOrg);
    const orphans = snapshot(killed.recorded.children.map((c) => c.pid));
    process.kill(killed.recorded.main.pid, 'SIGKILL');
    // Not `closed`: the orphaned Temporal server still holds the output pipe.
    await killed.run.exited;
    // Nothing stopped them: they still run, re-parented, with our data and ports.
    expect(survivors(orphans)).toHaveLength(orphans.length);

    const next = await startReady();
    expect(next.run.output()).toMatch(
      new RegExp(
        `stopped ${orphans.length} process\\(es\\) an earlier run \\(pid ${killed.recorded.main.pid}\\)`,
      ),
    );
    expect(survivors(orphans)).toEqual([]);

    // `kill <pid of npm>`, as a process manager stops it: npm's shell does not pass SIGTERM on.
    process.kill(next.run.child.pid!, 'SIGTERM');
    await next.run.closed;
    expect(next.run.output()).toContain('[dev] stopped');
    expect(await waitUntilGone(next.tree, 10_000)).toEqual([]);
    expect(groupAlive(next.run.child.pid!)).toBe(false);
    expect(readPidFile(dataDir)).toBeUndefined();
  }, 250_000);

  it('stops everything on SIGHUP (the terminal closed)', async () => {
    const { run, tree } = await startReady();
    process.kill(run.child.pid!, 'SIGHUP');
    await run.closed;
    expect(run.output()).toContain('[dev] stopped');
    expect(await waitUntilGone(tree, 10_000)).toEqual([]);
    expect(groupAlive(run.child.pid!)).toBe(false);
  }, 150_000);
});
