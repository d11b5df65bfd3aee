import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingWorkflowId } from '../../src/billing/ids';
import { Client, Connection } from '@temporalio/client';
import { runCli, TIERS } from '../../src/cli/commands';
import { createDb } from '../../src/db/pool';
import { findDrift } from '../../src/credits/reconcile';
import { startApiHarness, type ApiHarness } from '../support/api';
import { fingerprint, makeOrg } from '../support/fixtures';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read fields freely
}

let h: ApiHarness;

/** The CLI as an operator runs it: a separate process, configured only by DATABASE_URL. */
function run(args: string[], opts: { bin?: boolean; env?: Record<string, string> } = {}): Promise<Run> {
  const [file, argv] = opts.bin
    ? ['node', [`${ROOT}bin/layers-billing.mjs`, ...args]]
    : [TSX, ['src/cli/main.ts', ...args]];
  return new Promise((resolve) => {
    execFile(
      file,
      argv,
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: h.t.url,
          // The harness's Temporal and its worker's queue: org create starts the billing workflow there.
          TEMPORAL_ADDRESS: h.env.address,
          TEMPORAL_NAMESPACE: 'default',
          TEMPORAL_TASK_QUEUE: h.taskQueue,
          ...opts.env,
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        resolve({ code, stdout, stderr, json });
      },
    );
  });
}

/**
 * The same runCli the bin runs (src/cli/main.ts), in this process, with a real database and Temporal
 * connection: where a process per command would only add a second of start-up each. The tests that
 * spawn the bin prove its own wiring.
 */
async function runHere(args: string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: {
      DATABASE_URL: h.t.url,
      TEMPORAL_ADDRESS: h.env.address,
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      ...env,
    },
    openDb: (url) => createDb(url, { max: 1 }),
    async connectTemporal({ address, namespace }) {
      const connection = await Connection.connect({ address });
      return { client: new Client({ connection, namespace }), close: () => connection.close() };
    },
  });
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}

beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  if (!h) return;
  expect(await findDrift(h.t.db)).toEqual([]);
  // The billing workflows the CLI started never end by themselves; none may outlive the worker.
  const orgs = await h.t.db.selectFrom('organizations').select('id').execute();
  await Promise.all(
    orgs.map((o) =>
      h.client.workflow
        .getHandle(billingWorkflowId(o.id))
        .terminate()
        .catch(() => undefined),
    ),
  );
  await h.close();
});

describe('layers-billing CLI', () => {
  it('creates an org whose key works against the API, then grants, adds projects and keys, and disables', async () => {
    const created = await run(['org', 'create', '--name', 'Acme', '--tier', 'pro', '--mode', 'agency']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(Object.keys(created.json)).toEqual(['orgId', 'projectId', 'apiKey', 'billingWorkflowId']);
    const { orgId, projectId, apiKey } = created.json;
    expect(apiKey).toMatch(/^lb_live_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    // Stored only as a hash.
    const stored = await h.t.db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).execute();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(apiKey.slice(25));

    const who = await h.call('GET', '/v1/whoami', { key: apiKey });
    expect(who).toMatchObject({
      status: 200,
      body: { organization: { id: orgId, name: 'Acme' }, tier: 'pro', creditBalance: 1000 },
    });

    const grant = await run(['credits', 'grant', '--org', orgId, '--prepaid', '250', '--key', 'invoice-7']);
    expect(grant.code).toBe(0);
    const credits = await h.call('GET', '/v1/credits', { key: apiKey });
    expect(grant.json).toEqual(credits.body);
    expect(grant.json).toMatchObject({ balance: 1250, prepaidBalance: 250 });
    // The same --key again is the same grant, not a second one.
    const regrant = await run(['credits', 'grant', '--org', orgId, '--prepaid', '250', '--key', 'invoice-7']);
    expect(regrant).toMatchObject({ code: 0, json: { balance: 1250 } });

    const project = await run(['project', 'create', '--org', orgId, '--name', 'Second']);
    expect(project.code).toBe(0);
    expect(project.json).toMatchObject({ orgId, projectId: expect.stringMatching(/^prj_/), name: 'Second' });
    expect(project.json.projectId).not.toBe(projectId);

    const key2 = await run(['key', 'create', '--org', orgId], { bin: true });
    expect(key2.code).toBe(0);
    expect(key2.json).toMatchObject({
      orgId,
      apiKey: expect.stringMatching(/^lb_live_/),
      prefix: expect.stringMatching(/^lb_live_/),
    });
    expect((await h.call('GET', '/v1/credits', { key: key2.json.apiKey })).status).toBe(200);

    const disabled = await run(['key', 'disable', '--key', key2.json.prefix]);
    expect(disabled).toMatchObject({ code: 0, json: { prefix: key2.json.prefix, disabled: true } });
    expect((await h.call('GET', '/v1/credits', { key: key2.json.apiKey })).body.error.code).toBe(
      'KILL_SWITCH',
    );
    expect((await h.call('GET', '/v1/credits', { key: apiKey })).status).toBe(200);

    const orgOff = await run(['org', 'disable', '--org', orgId]);
    expect(orgOff).toMatchObject({ code: 0, json: { orgId, disabled: true } });
    expect((await h.call('GET', '/v1/credits', { key: apiKey })).body.error.code).toBe('KILL_SWITCH');
    expect((await run(['org', 'enable', '--org', orgId])).code).toBe(0);
    expect((await h.call('GET', '/v1/credits', { key: apiKey })).status).toBe(200);
  });

  it.each([
    [
      'an unknown command',
      ['org', 'explode'],
      /unknown command "org explode"[\s\S]*create[\s\S]*disable[\s\S]*enable/,
    ],
    [
      'an unknown group',
      ['refund', 'create'],
      /unknown command "refund"[\s\S]*org create[\s\S]*credits grant/,
    ],
    ['no command', [], /no command given[\s\S]*org create/],
    // A group alone lists its commands.
    ['a group without a command', ['org'], /org needs a command[\s\S]*create[\s\S]*disable[\s\S]*enable/],
    ['a missing option', ['org', 'create', '--name', 'X'], /missing --tier/],
    ['an unknown option', ['key', 'create', '--org', 'org_x', '--admin'], /--admin/],
    [
      'a fractional grant',
      ['credits', 'grant', '--org', 'org_x', '--prepaid', '1.5'],
      /--prepaid must be a positive whole number/,
    ],
    [
      'a negative grant',
      ['credits', 'grant', '--org', 'org_x', '--prepaid', '-5'],
      /--prepaid must be a positive whole number of credits \(1 to 1000000000\), got "-5"/,
    ],
    [
      'an empty grant',
      ['credits', 'grant', '--org', 'org_x', '--prepaid', '0'],
      /--prepaid must be a positive whole number/,
    ],
    [
      'an absurd grant',
      ['credits', 'grant', '--org', 'org_x', '--prepaid', '1000000001'],
      /--prepaid must be a positive whole number/,
    ],
    [
      'an unknown tier',
      ['org', 'create', '--name', 'X', '--tier', 'enterprise'],
      /--tier must be one of free, plus, pro, max, generative, team; got "enterprise"/,
    ],
    [
      'an unknown mode',
      ['org', 'create', '--name', 'X', '--tier', 'pro', '--mode', 'solo'],
      /--mode must be one of agency, byo; got "solo"/,
    ],
  ] as const)(
    'exits 2 with what is valid on stderr for %s, writing nothing',
    async (_name, args, message) => {
      const before = await fingerprint(h.t.db);
      const res = await run([...args]);
      expect(res.code).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(message);
      expect(res.stderr).not.toMatch(/ambiguous|^\s+at /m);
      expect(await fingerprint(h.t.db)).toEqual(before);
    },
  );

  it.each([
    ['an org that does not exist', ['key', 'create', '--org', 'org_nope'], /NOT_FOUND/],
    ['a key that does not exist', ['key', 'disable', '--key', 'lb_live_0000000000000000'], /NOT_FOUND/],
  ] as const)('exits 1 for %s, writing nothing', async (_name, args, message) => {
    const before = await fingerprint(h.t.db);
    const res = await run([...args]);
    expect(res).toMatchObject({ code: 1, stdout: '' });
    expect(res.stderr).toMatch(message);
    expect(await fingerprint(h.t.db)).toEqual(before);
  });

  it('answers --help at every level, without a database', async () => {
    const noDb = { env: { DATABASE_URL: '' } };
    const root = await run(['--help'], noDb);
    expect(root).toMatchObject({ code: 0, stderr: '' });
    for (const line of [
      'org create',
      'org disable',
      'org enable',
      'project create',
      'key create',
      'key disable',
      'credits grant',
      'credits alerts set',
      'subscription show',
      'subscription preview',
      'subscription change',
      'subscription cancel',
      'subscription resume',
      'subscription pause',
      'billing start',
      'invoice list',
      'invoice pdf',
    ])
      expect(root.stdout).toContain(line);
    expect(root.stdout).toMatch(/DATABASE_URL/);

    const group = await run(['credits', '--help'], noDb);
    expect(group).toMatchObject({ code: 0, stderr: '' });
    expect(group.stdout).toMatch(/usage: layers-billing credits <command>[\s\S]*grant/);

    const create = await run(['org', 'create', '--help'], { ...noDb, bin: true });
    expect(create).toMatchObject({ code: 0, stderr: '' });
    expect(create.stdout).toMatch(
      /usage: layers-billing org create --name <name> --tier free\|plus\|pro\|max\|generative\|team \[--mode agency\|byo\]/,
    );
    expect(create.stdout).toMatch(/--tier <tier>.*one of: free, plus, pro, max, generative, team/);

    // Help wins over everything else on the line, even options that would be refused.
    const grant = await run(['credits', 'grant', '--prepaid', '-5', '--help'], noDb);
    expect(grant).toMatchObject({ code: 0, stderr: '' });
    expect(grant.stdout).toMatch(
      /--prepaid <credits>\s+how many prepaid credits, a positive whole number \(required\)/,
    );
  });

  it('offers exactly the tiers the database has', async () => {
    const rows = await h.t.db.selectFrom('tiers').select('id').execute();
    expect([...TIERS].sort()).toEqual(rows.map((r) => r.id).sort());
  });

  it('refuses to run without DATABASE_URL, in one line', async () => {
    const res = await run(['key', 'create', '--org', 'org_x'], { env: { DATABASE_URL: '' } });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(
      'layers-billing: DATABASE_URL is not set: point it at the billing database (postgres://…)\n',
    );
  });
});

describe('layers-billing subscriptions and billing workflows', () => {
  it('starts the billing workflow of a new org, then shows, previews and changes its subscription', async () => {
    const created = await run(['org', 'create', '--name', 'Billed', '--tier', 'pro']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const { orgId, apiKey, billingWorkflowId: workflowId } = created.json;
    expect(workflowId).toBe(billingWorkflowId(orgId));
    const { status } = await h.client.workflow.getHandle(workflowId).describe();
    expect(status.name).toBe('RUNNING');

    const shown = await runHere(['subscription', 'show', '--org', orgId]);
    expect(shown.code).toBe(0);
    expect(shown.json).toEqual((await h.call('GET', '/v1/subscription', { key: apiKey })).body);
    expect(shown.json).toMatchObject({ tier: 'pro', interval: 'month', seats: 1, status: 'active' });

    const preview = await runHere(['subscription', 'preview', '--org', orgId, '--tier', 'team']);
    expect(preview.json).toMatchObject({
      outcome: 'applied_now',
      direction: 'upgrade',
      settlement: 'charge',
    });
    expect(preview.json.lines).toHaveLength(2);

    // A downgrade waits for the renewal: nothing is charged, so the harness's worker needs no Stripe.
    const scheduled = await run(['subscription', 'change', '--org', orgId, '--tier', 'plus', '--key', 'd-1']);
    expect(scheduled).toMatchObject({
      code: 0,
      json: { outcome: 'scheduled', subscription: { scheduledChange: { tier: 'plus' } } },
    });
    // The same --key is the same Update: answered again, not applied twice (which would be refused).
    const repeated = await runHere([
      'subscription',
      'change',
      '--org',
      orgId,
      '--tier',
      'plus',
      '--key',
      'd-1',
    ]);
    expect(repeated).toMatchObject({ code: 0, json: { outcome: 'scheduled' } });
    const second = await runHere(['subscription', 'change', '--org', orgId, '--tier', 'max']);
    expect(second).toMatchObject({ code: 1, stdout: '' });
    expect(second.stderr).toMatch(/CHANGE_ALREADY_SCHEDULED/);

    const canceled = await runHere(['subscription', 'cancel', '--org', orgId]);
    expect(canceled.json).toMatchObject({
      outcome: 'cancel_at_period_end',
      subscription: { cancelAtPeriodEnd: true },
    });
    const resumed = await runHere(['subscription', 'resume', '--org', orgId]);
    expect(resumed.json).toMatchObject({
      outcome: 'cancel_undone',
      subscription: { cancelAtPeriodEnd: false },
    });
    expect((await h.call('GET', '/v1/subscription', { key: apiKey })).body).toEqual(
      resumed.json.subscription,
    );

    const alert = await runHere(['credits', 'alerts', 'set', '--org', orgId, '--threshold', '50']);
    expect(alert).toMatchObject({ code: 0, json: { organizationId: orgId, thresholdCredits: 50 } });
    const off = await runHere(['credits', 'alerts', 'set', '--org', orgId, '--threshold', 'off']);
    expect(off.json).toEqual({ organizationId: orgId, thresholdCredits: null });

    // Starting again finds the running workflow.
    const again = await runHere(['billing', 'start', '--org', orgId]);
    expect(again).toMatchObject({ code: 0, json: { orgId, workflowId, started: false } });
  });

  it('starts the workflows of orgs that have none, once, with billing start --all', async () => {
    const existing = await makeOrg(h.t.db, { tier: 'plus' });
    const first = await runHere(['billing', 'start', '--all']);
    expect(first.code).toBe(0);
    expect(first.json.failed).toEqual([]);
    expect(first.json.started).toBeGreaterThanOrEqual(1);
    expect(first.json.started + first.json.alreadyRunning).toBe(first.json.orgs);
    const { status } = await h.client.workflow.getHandle(billingWorkflowId(existing.orgId)).describe();
    expect(status.name).toBe('RUNNING');
    const sub = await h.t.db
      .selectFrom('subscriptions')
      .selectAll()
      .where('org_id', '=', existing.orgId)
      .executeTakeFirstOrThrow();
    expect(sub).toMatchObject({ billing_interval: 'month', seats: 1, cancel_at_period_end: false });

    const second = await runHere(['billing', 'start', '--all']);
    expect(second.json).toMatchObject({ orgs: first.json.orgs, started: 0, alreadyRunning: first.json.orgs });
  });

  it('refuses a project beyond the tier with exit 1, writing nothing', async () => {
    const org = await makeOrg(h.t.db, { tier: 'free' });
    const before = await fingerprint(h.t.db);
    const res = await runHere(['project', 'create', '--org', org.orgId, '--name', 'Second']);
    expect(res).toMatchObject({ code: 1, stdout: '' });
    expect(res.stderr).toMatch(/PLAN_LIMIT_REACHED: the free plan allows 1 active project/);
    expect(await fingerprint(h.t.db)).toEqual(before);
  });

  it.each([
    [
      'a change naming nothing',
      ['subscription', 'change', '--org', 'org_x'],
      /give at least one of --tier, --interval, --seats/,
    ],
    [
      'zero seats',
      ['subscription', 'preview', '--org', 'org_x', '--seats', '0'],
      /--seats must be a whole number of seats \(1 to 9000\), got "0"/,
    ],
    [
      'an unknown tier',
      ['subscription', 'change', '--org', 'org_x', '--tier', 'gold'],
      /--tier must be one of free, plus, max, generative, pro, team/,
    ],
    [
      'an unknown effective',
      ['subscription', 'change', '--org', 'org_x', '--tier', 'team', '--effective', 'soon'],
      /--effective must be one of now, renewal/,
    ],
    ['billing start without a target', ['billing', 'start'], /give at least one of --org, --all/],
    [
      'billing start with both targets',
      ['billing', 'start', '--org', 'org_x', '--all'],
      /give --org or --all, not both/,
    ],
    [
      'a zero alert threshold',
      ['credits', 'alerts', 'set', '--org', 'org_x', '--threshold', '0'],
      /--threshold must be a positive whole number of credits or off/,
    ],
    [
      'an incomplete two-word command',
      ['credits', 'alerts'],
      /unknown command "credits alerts"[\s\S]*alerts set/,
    ],
  ] as const)('exits 2 for %s, writing nothing', async (_name, args, message) => {
    const before = await fingerprint(h.t.db);
    const res = await runHere([...args]);
    expect(res).toMatchObject({ code: 2, stdout: '' });
    expect(res.stderr).toMatch(message);
    expect(await fingerprint(h.t.db)).toEqual(before);
  });

  it('needs TEMPORAL_ADDRESS to create an org or change a subscription, and says so in one line before writing', async () => {
    const before = await fingerprint(h.t.db);
    for (const args of [
      ['org', 'create', '--name', 'NoTemporal', '--tier', 'pro'],
      ['subscription', 'pause', '--org', 'org_x'],
    ]) {
      const res = await runHere(args, { TEMPORAL_ADDRESS: '' });
      expect(res).toMatchObject({ code: 2, stdout: '' });
      expect(res.stderr).toBe(
        'layers-billing: TEMPORAL_ADDRESS is not set: this command starts or changes billing workflows (host:port)\n',
      );
    }
    expect(await fingerprint(h.t.db)).toEqual(before);
    // Reading needs only the database.
    const help = await runHere(['subscription', 'change', '--help'], { TEMPORAL_ADDRESS: '' });
    expect(help.stdout).toMatch(/Needs TEMPORAL_ADDRESS/);
  });
});
