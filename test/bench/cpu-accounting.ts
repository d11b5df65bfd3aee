/**
 * CPU time per process during a benchmark window, read from /proc (Linux): on a 2-core machine the
 * lifecycles/s of bench:generations is set by who spends the cores, so the bench divides each process's
 * CPU by the lifecycles it served. Reading /proc/<pid>/stat signals nothing; a process that is gone by
 * the second reading counts as zero, which only understates.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the project runs on

/** utime + stime of one process in milliseconds, or undefined when it is gone or unreadable. */
function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Children of `parent` whose command name contains `name` (the Temporal dev server under createLocal). */
export function childPids(parent: number, name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && comm.includes(name)) pids.push(Number(entry));
    } catch {
      // exited while we listed
    }
  }
  return pids;
}

export type CpuGroups = Record<string, () => number[] | Promise<number[]>>;
export type CpuReading = Map<string, Map<number, number>>;

/** Reads the CPU of every process in each named group. */
export async function readCpu(groups: CpuGroups): Promise<CpuReading> {
  const reading: CpuReading = new Map();
  for (const [group, pids] of Object.entries(groups)) {
    const byPid = new Map<number, number>();
    for (const pid of await pids()) {
      const ms = cpuMsOf(pid);
      if (ms !== undefined) byPid.set(pid, ms);
    }
    reading.set(group, byPid);
  }
  return reading;
}

/** CPU ms each group spent between two readings; a process first seen in `after` counts from zero. */
export function cpuSpent(before: CpuReading, after: CpuReading): Record<string, number> {
  const spent: Record<string, number> = {};
  for (const [group, byPid] of after) {
    let ms = 0;
    for (const [pid, end] of byPid) ms += end - (before.get(group)?.get(pid) ?? 0);
    spent[group] = Math.round(ms);
  }
  return spent;
}
