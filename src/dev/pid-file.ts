import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childrenOf, describe, stillRunning, stopProcesses, type ProcessRecord } from './processes';
import { DevStartError } from './start-error';

/**
 * `<data dir>/dev.pid`: which `npm run dev` owns the data directory and which services it started.
 * A run that died without stopping them (SIGKILL, a crash) leaves PostgreSQL, Temporal and localstripe
 * running with our data and ports; the next run finds them here and stops them, by PID and start time.
 */
export interface DevInstance {
  main: ProcessRecord;
  children: ProcessRecord[];
}

export const PID_FILE_NAME = 'dev.pid';

export interface PidFile {
  path: string;
  /** Records the services this process runs now; call after starting each one. */
  recordChildren(): void;
  /** Removes the file if it is still ours. */
  remove(): void;
}

function read(path: string): DevInstance | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DevInstance;
  } catch {
    return undefined;
  }
}

/**
 * Claims the data directory for this process. Refuses, saying how to stop it, while another live run
 * owns it; stops whatever a dead run left behind.
 */
export async function claimDataDir(dataRoot: string, log: (line: string) => void): Promise<PidFile> {
  const path = join(dataRoot, PID_FILE_NAME);
  const previous = read(path);
  if (previous?.main && stillRunning(previous.main)) {
    throw new DevStartError(
      `another \`npm run dev\` (pid ${previous.main.pid}) is running with the data in ${dataRoot}: ` +
        `stop it (Ctrl-C in its terminal, or kill ${previous.main.pid}), or set DEV_DATA_DIR to another directory`,
    );
  }
  if (previous?.children?.length) {
    const stopped = await stopProcesses(previous.children);
    if (stopped.length > 0) {
      log(
        `stopped ${stopped.length} process(es) an earlier run (pid ${previous.main?.pid}) left behind: ` +
          stopped.map((p) => `${p.pid} ${p.command.split(' ')[0]}`).join(', '),
      );
    }
  }
  const main = describe(process.pid);
  if (!main) throw new Error(`cannot see this process (pid ${process.pid}) in the process table`);
  const write = (children: ProcessRecord[]) =>
    writeFileSync(path, `${JSON.stringify({ main, children } satisfies DevInstance, null, 2)}\n`);
  write([]);
  return {
    path,
    recordChildren: () => write(childrenOf(process.pid)),
    remove: () => {
      if (read(path)?.main?.pid === process.pid) rmSync(path, { force: true });
    },
  };
}
