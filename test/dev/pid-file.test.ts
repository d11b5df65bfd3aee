import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { claimDataDir } from '../../src/dev/pid-file';
import { describe as describeProcess } from '../../src/dev/processes';

/**
 * The pid file in the data directory: what a dead run left behind is stopped by PID and start time; a
 * PID that now belongs to another process (same number, later start) is never signalled.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'layers-pidfile-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const sleeper = () => spawn('sleep', ['60'], { stdio: 'ignore' });
const exited = (child: ReturnType<typeof sleeper>) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

it('stops the services of a dead run, leaves a reused PID alone, and records itself', async () => {
  const deadMain = spawn('true');
  await exited(deadMain);
  const leftover = sleeper();
  const stranger = sleeper();
  try {
    const leftoverRecord = describeProcess(leftover.pid!)!;
    const strangerRecord = { ...describeProcess(stranger.pid!)!, started: 'Thu Jan  1 00:00:00 1970' };
    writeFileSync(
      join(dataDir, 'dev.pid'),
      JSON.stringify({
        main: { pid: deadMain.pid, started: 'Thu Jan  1 00:00:00 1970', command: 'node' },
        children: [leftoverRecord, strangerRecord],
      }),
    );
    const lines: string[] = [];
    const pidFile = await claimDataDir(dataDir, (l) => lines.push(l));

    await exited(leftover);
    expect(leftover.signalCode).toBe('SIGINT');
    expect(stranger.exitCode).toBeNull();
    expect(stranger.signalCode).toBeNull();
    expect(lines).toEqual([
      `stopped 1 process(es) an earlier run (pid ${deadMain.pid}) left behind: ${leftover.pid} sleep`,
    ]);
    expect(JSON.parse(readFileSync(pidFile.path, 'utf8')).main.pid).toBe(process.pid);
    pidFile.remove();
    expect(() => readFileSync(pidFile.path)).toThrow(/ENOENT/);
  } finally {
    leftover.kill('SIGKILL');
    stranger.kill('SIGKILL');
  }
});
