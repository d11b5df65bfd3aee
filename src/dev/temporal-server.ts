import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { TOOLS_BIN } from '../temporal/executables';
import { DevStartError } from './start-error';

export interface DevTemporalServer {
  address: string;
  stop(): Promise<void>;
}

export interface DevTemporalServerOptions {
  port: number;
  uiPort: number;
  namespace: string;
  /** SQLite file that keeps workflows between runs. */
  dbFilename: string;
  /** `PRAGMA=VALUE` settings of that file (default DEV_SQLITE_PRAGMAS); [] leaves SQLite's own. */
  sqlitePragmas?: readonly string[];
  startupTimeoutMs?: number;
}

/**
 * A write-ahead log instead of SQLite's default rollback journal, synced at checkpoints rather than at
 * every commit: every workflow task the dev server records is a commit. A crash of the process loses
 * nothing; a power cut may lose the last moments, which for a dev server's data is the right trade.
 */
export const DEV_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'] as const;

/**
 * The Temporal CLI's dev server (`temporal server start-dev`, with its UI), run directly: it is one
 * process with a handful of flags, so dev mode needs no test framework to start it. The flags are the
 * ones @temporalio/testing's createLocal passes, so the server behaves as it did under it.
 */
export async function startDevTemporalServer(opts: DevTemporalServerOptions): Promise<DevTemporalServer> {
  const address = `127.0.0.1:${opts.port}`;
  // prettier-ignore
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1', '--port', String(opts.port), '--ui-port', String(opts.uiPort),
    '--namespace', opts.namespace, '--db-filename', opts.dbFilename,
    '--log-format', 'text', '--log-level', 'warn',
    '--dynamic-config-value', 'frontend.enableServerVersionCheck=false',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    ...(opts.sqlitePragmas ?? DEV_SQLITE_PRAGMAS).flatMap((pragma) => ['--sqlite-pragma', pragma]),
  ];
  // Its warnings and errors (a taken port, a locked database file) go straight to the developer.
  const child = spawn(temporalCli(), args, { stdio: ['ignore', 'inherit', 'inherit'] });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  child.once(
    'error',
    (err) => (exited = `could not be started (${err.message}); scripts/install-tools.sh installs it`),
  );

  const deadline = Date.now() + (opts.startupTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new DevStartError(`the Temporal dev server ${exited}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.close();
      return { address, stop: () => stopChild(child) };
    } catch (err) {
      if (Date.now() > deadline) {
        await stopChild(child);
        throw new Error(`the Temporal dev server did not answer on ${address}`, { cause: err });
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The CLI scripts/install-tools.sh installs, else whichever `temporal` is on PATH. */
function temporalCli(): string {
  const local = `${TOOLS_BIN}temporal`;
  return existsSync(local) ? local : 'temporal';
}

/** SIGTERM (the server shuts down cleanly), SIGKILL if it is still there after ten seconds. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
