import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/ports';

/**
 * The operator entry points as npm runs them: `--help` answers, and a missing or unusable setting is
 * one line on stderr with exit code 2 (an unreachable database: 1), never a stack trace.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function run(cmd: string, args: string[], env: Record<string, string | undefined>) {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  delete base.TEMPORAL_ADDRESS;
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(cmd, args, { cwd: ROOT, env: { ...base, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      // npm's own notices (e.g. about this machine's npmrc) are not ours.
      resolve({ code, stdout, stderr: stderr.replace(/^npm warn .*\n?/gm, '') });
    });
  });
}

const ENTRIES = [
  ['npm run reconcile', 'reconcile', /usage: npm run reconcile[\s\S]*drift/],
  ['npm run migrate', 'migrate', /usage: npm run migrate/],
  ['npm start', 'start', /usage: npm start \| npm run api \| npm run worker/],
] as const;

describe.each(ENTRIES)('%s', (_title, script, usage) => {
  it('says in one line that DATABASE_URL is missing, exit 2', async () => {
    const res = await run('npm', ['run', '--silent', script], {});
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      /^[a-z-]+: DATABASE_URL is not set \(it is required outside `npm run dev`\)\n$/,
    );
    expect(res.stdout).toBe('');
  });

  it('answers --help without any configuration', async () => {
    const res = await run('npm', ['run', '--silent', script, '--', '--help'], {});
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toMatch(usage);
  });
});

describe('entry points, past the first check', () => {
  it('npm start names the next missing setting', async () => {
    const res = await run('npm', ['run', '--silent', 'start'], {
      DATABASE_URL: 'postgres://x@127.0.0.1:1/x',
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      'layers-billing: TEMPORAL_ADDRESS is not set (it is required outside `npm run dev`)\n',
    );
  });

  it('npm start refuses a malformed setting in one line', async () => {
    const res = await run('npm', ['run', '--silent', 'start'], {
      DATABASE_URL: 'postgres://x@127.0.0.1:1/x',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      PORT: 'eighty',
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toBe('layers-billing: PORT must be a positive integer, got "eighty"\n');
  });

  it('npm run worker refuses a publishable Stripe key before connecting to anything', async () => {
    const res = await run('npm', ['run', '--silent', 'worker'], {
      DATABASE_URL: 'postgres://x@127.0.0.1:1/x',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      STRIPE_SECRET_KEY: 'pk_test_publishable',
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      'layers-billing: STRIPE_SECRET_KEY must be a secret (sk_) or restricted (rk_) key\n',
    );
  });

  it('npm run reconcile says in one line that the database cannot be reached, exit 1', async () => {
    const port = await freePort();
    const res = await run('npm', ['run', '--silent', 'reconcile'], {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/postgres`,
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`reconcile: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });
});
