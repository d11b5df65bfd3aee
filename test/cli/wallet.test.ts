import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateApiKey } from '../../src/auth/api-keys';
import { runCli } from '../../src/cli/commands';
import { findDrift } from '../../src/credits/reconcile';
import { createDb } from '../../src/db/pool';
import { createOrganization } from '../../src/orgs/orgs';
import { walletWorkflowId } from '../../src/wallet/ids';
import { findWalletDrift } from '../../src/wallet/reconcile';
import { readWalletView } from '../../src/wallet/views';
import { startApiHarness, type ApiHarness } from '../support/api';
import { walletFingerprint } from '../wallet/support';

/** The wallet commands of the admin CLI: show, credit --wire, fee, and key create --scope. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read fields freely
}

let h: ApiHarness;
let seq = 0;

beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  if (!h) return;
  expect(await findDrift(h.t.db)).toEqual([]);
  expect(await findWalletDrift(h.t.db)).toEqual([]);
  // The wallet workflows the nudges started never end by themselves; none may outlive the worker.
  const orgs = await h.t.db.selectFrom('organizations').select('id').execute();
  await Promise.all(
    orgs.map((o) =>
      h.client.workflow
        .getHandle(walletWorkflowId(o.id))
        .terminate()
        .catch(() => undefined),
    ),
  );
  await h.close();
});

const parse = (stdout: string): unknown => {
  try {
    return JSON.parse(stdout);
  } catch {
    return undefined;
  }
};

/** runCli in this process, as src/cli/main.ts runs it, against the harness's database and Temporal. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: { DATABASE_URL: h.t.url, TEMPORAL_ADDRESS: h.env.address, TEMPORAL_TASK_QUEUE: h.taskQueue, ...env },
    openDb: (url) => createDb(url, { max: 1 }),
    async connectTemporal({ address, namespace }) {
      const connection = await Connection.connect({ address });
      return { client: new Client({ connection, namespace }), close: () => connection.close() };
    },
  });
  return { code, stdout, stderr, json: parse(stdout) };
}

/** The bin itself, once, to prove its wiring of the wallet client. */
function bin(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'node',
      [`${ROOT}bin/layers-billing.mjs`, ...args],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: h.t.url,
          TEMPORAL_ADDRESS: h.env.address,
          TEMPORAL_NAMESPACE: 'default',
          TEMPORAL_TASK_QUEUE: h.taskQueue,
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr, json: parse(stdout) });
      },
    );
  });
}

const agency = async () =>
  createOrganization(h.t.db, { name: `CLI agency ${++seq}`, tier: 'pro', mode: 'agency' });
const byo = async () => createOrganization(h.t.db, { name: `CLI byo ${++seq}`, tier: 'pro', mode: 'byo' });

describe('layers-billing wallet', () => {
  it('credits a wire once per reference, tells the wallet workflow, and shows the wallet as GET /v1/wallet does', async () => {
    const { orgId } = await agency();
    const credit = [
      'wallet',
      'credit',
      '--wire',
      '--org',
      orgId,
      '--amount-cents',
      '50000',
      '--reference',
      'FW-1',
    ];
    const first = await bin(credit);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.json).toMatchObject({
      duplicate: false,
      topUp: { method: 'wire', trigger: 'manual', amountCents: 50_000, status: 'succeeded' },
      balanceCents: 50_000,
      pendingCents: 0,
    });
    // The nudge is a signal-with-start: the org's wallet workflow exists now.
    const run = await h.client.workflow.getHandle(walletWorkflowId(orgId)).describe();
    expect(run.type).toBe('walletWorkflow');

    const again = await cli(credit);
    expect(again).toMatchObject({ code: 0, json: { duplicate: true, balanceCents: 50_000 } });
    expect(again.json.topUp).toEqual(first.json.topUp);

    const show = await cli(['wallet', 'show', '--org', orgId]);
    expect(show.code).toBe(0);
    expect(show.json).toEqual(JSON.parse(JSON.stringify(await readWalletView(h.t.db, orgId, new Date()))));
    expect(show.json).toMatchObject({ organizationId: orgId, balanceCents: 50_000, platformFeeBps: 500 });
  });

  it('sets the platform fee in basis points', async () => {
    const { orgId } = await agency();
    const res = await cli(['wallet', 'fee', '--org', orgId, '--bps', '750']);
    expect(res).toMatchObject({ code: 0, json: { organizationId: orgId, platformFeeBps: 750 } });
    expect((await cli(['wallet', 'show', '--org', orgId])).json.platformFeeBps).toBe(750);
  });

  it.each([
    [
      'a wire reference reused for another amount',
      (o: string) => ['wallet', 'credit', '--wire', '--org', o, '--amount-cents', '1', '--reference', 'FW-1'],
      1,
      /IDEMPOTENCY_KEY_REUSED/,
    ],
    ['a BYO org', (o: string) => ['wallet', 'show', '--org', o], 1, /WALLET_NOT_AVAILABLE/],
    [
      'a missing --wire',
      (o: string) => ['wallet', 'credit', '--org', o, '--amount-cents', '100', '--reference', 'x'],
      2,
      /missing --wire/,
    ],
    [
      'fractional cents',
      (o: string) => ['wallet', 'credit', '--wire', '--org', o, '--amount-cents', '10.5', '--reference', 'x'],
      2,
      /--amount-cents must be a positive whole number of cents/,
    ],
    [
      'negative cents',
      (o: string) => ['wallet', 'credit', '--wire', '--org', o, '--amount-cents', '-5', '--reference', 'x'],
      2,
      /--amount-cents must be/,
    ],
    [
      'absurd cents',
      (o: string) => [
        'wallet',
        'credit',
        '--wire',
        '--org',
        o,
        '--amount-cents',
        '1000000000000',
        '--reference',
        'x',
      ],
      2,
      /--amount-cents must be/,
    ],
    [
      'a fee above 100%',
      (o: string) => ['wallet', 'fee', '--org', o, '--bps', '10001'],
      2,
      /--bps must be a whole number of basis points/,
    ],
    ['an unknown org', () => ['wallet', 'fee', '--org', 'org_nope', '--bps', '100'], 1, /NOT_FOUND/],
  ])('exits non-zero for %s, writing nothing', async (name, args, code, message) => {
    const org = name === 'a BYO org' ? await byo() : await agency();
    if (name.startsWith('a wire reference')) {
      expect(
        (
          await cli([
            'wallet',
            'credit',
            '--wire',
            '--org',
            org.orgId,
            '--amount-cents',
            '100',
            '--reference',
            'FW-1',
          ])
        ).code,
      ).toBe(0);
    }
    const before = await walletFingerprint(h.t.db);
    const res = await cli(args(org.orgId));
    expect(res).toMatchObject({ code, stdout: '' });
    expect(res.stderr).toMatch(message);
    expect(await walletFingerprint(h.t.db)).toEqual(before);
  });

  it('refuses a BYO org for credit and fee, and needs TEMPORAL_ADDRESS to credit, writing nothing', async () => {
    const b = await byo();
    const a = await agency();
    const before = await walletFingerprint(h.t.db);
    const credit = (o: string) => [
      'wallet',
      'credit',
      '--wire',
      '--org',
      o,
      '--amount-cents',
      '100',
      '--reference',
      'r',
    ];
    expect(await cli(credit(b.orgId))).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/WALLET_NOT_AVAILABLE/),
    });
    expect(await cli(['wallet', 'fee', '--org', b.orgId, '--bps', '0'])).toMatchObject({ code: 1 });
    const noTemporal = await cli(credit(a.orgId), { TEMPORAL_ADDRESS: '' });
    expect(noTemporal).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/TEMPORAL_ADDRESS is not set/),
    });
    expect(await walletFingerprint(h.t.db)).toEqual(before);
  });

  it('answers --help for the group and its commands', async () => {
    const group = await cli(['wallet', '--help'], { DATABASE_URL: '' });
    expect(group.code).toBe(0);
    for (const name of ['show', 'credit', 'fee']) expect(group.stdout).toMatch(new RegExp(`\\n  ${name} `));
    const credit = await cli(['wallet', 'credit', '--help'], { DATABASE_URL: '' });
    expect(credit.stdout).toMatch(
      /usage: layers-billing wallet credit --wire --org <orgId> --amount-cents <cents> --reference <text>/,
    );
    expect(credit.stdout).toMatch(/Needs TEMPORAL_ADDRESS/);
    const root = await cli(['--help'], { DATABASE_URL: '' });
    for (const line of ['wallet show', 'wallet credit', 'wallet fee']) expect(root.stdout).toContain(line);
  });
});

describe('layers-billing key create --scope', () => {
  it('issues a key with the wallet:spend scope, or without any', async () => {
    const { orgId } = await agency();
    const scoped = await cli(['key', 'create', '--org', orgId, '--scope', 'wallet:spend']);
    expect(scoped).toMatchObject({ code: 0, json: { orgId, scopes: ['wallet:spend'] } });
    expect(await authenticateApiKey(h.t.db, scoped.json.apiKey)).toMatchObject({
      ok: true,
      identity: { orgId, scopes: ['wallet:spend'] },
    });
    const plain = await cli(['key', 'create', '--org', orgId]);
    expect(plain).toMatchObject({ code: 0, json: { scopes: [] } });
  });

  it('refuses an unknown scope with exit 2, naming the valid ones', async () => {
    const { orgId } = await agency();
    const res = await cli(['key', 'create', '--org', orgId, '--scope', 'wallet:admin']);
    expect(res).toMatchObject({ code: 2, stdout: '' });
    expect(res.stderr).toMatch(/--scope must be one of wallet:spend, dashboard; got "wallet:admin"/);
    const keys = await h.t.db.selectFrom('api_keys').select('prefix').where('org_id', '=', orgId).execute();
    expect(keys).toHaveLength(0);
  });
});
