import { execFileSync } from 'node:child_process';

/**
 * A process as dev mode records it. The start time tells a process of ours from a later, unrelated one
 * that reuses its PID, so a stale record never makes us signal a stranger.
 */
export interface ProcessRecord {
  pid: number;
  started: string;
  command: string;
}

interface Row extends ProcessRecord {
  ppid: number;
}

// `ps -A -o` works the same on Linux (procps) and macOS; lstart is a fixed five-field date.
const ROW = /^\s*(\d+)\s+(\d+)\s+(\S+\s+\S+\s+\d+\s+[\d:]+\s+\d+)\s+(.*)$/;

function processTable(): Row[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,lstart=,args='], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return out.split('\n').flatMap((line) => {
    const m = ROW.exec(line);
    return m ? [{ pid: Number(m[1]), ppid: Number(m[2]), started: m[3]!, command: m[4]!.slice(0, 160) }] : [];
  });
}

/** The processes `pid` started, directly or through its children, with their start times. */
export function descendantsOf(pid: number): ProcessRecord[] {
  const rows = processTable();
  const found: ProcessRecord[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const row of rows) {
      if (parents.has(row.ppid) && !parents.has(row.pid)) {
        parents.add(row.pid);
        found.push({ pid: row.pid, started: row.started, command: row.command });
        grew = true;
      }
    }
  }
  return found;
}

/** The processes `pid` started itself: for dev mode, the services it runs. */
export function childrenOf(pid: number): ProcessRecord[] {
  return processTable()
    .filter((r) => r.ppid === pid && isAlive(r.pid)) // not the `ps` that listed them
    .map(({ pid: child, started, command }) => ({ pid: child, started, command }));
}

export function parentOf(pid: number): number | undefined {
  return processTable().find((r) => r.pid === pid)?.ppid;
}

export function describe(pid: number): ProcessRecord | undefined {
  const row = processTable().find((r) => r.pid === pid);
  return row && { pid: row.pid, started: row.started, command: row.command };
}

/** True while the very process recorded (same PID, same start time) still runs. */
export function stillRunning(record: ProcessRecord): boolean {
  return describe(record.pid)?.started === record.started;
}

/**
 * Stops recorded processes that still run: SIGINT first (PostgreSQL's fast shutdown; Temporal and
 * localstripe exit on it too), SIGKILL for those still there after `graceMs`.
 */
export async function stopProcesses(records: ProcessRecord[], graceMs = 10_000): Promise<ProcessRecord[]> {
  const running = records.filter(stillRunning);
  for (const r of running) signal(r.pid, 'SIGINT');
  const deadline = Date.now() + graceMs;
  while (running.some(stillRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const r of running.filter(stillRunning)) signal(r.pid, 'SIGKILL');
  return running;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone in the meantime
  }
}
