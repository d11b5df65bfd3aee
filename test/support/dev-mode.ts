import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports';

/**
 * `npm run dev` as a test drives it: its own process group (so the test can act like a terminal's
 * Ctrl-C, or check that nothing of the group is left), free ports, a data directory of the test's own.
 * Everything here finds processes from that child downwards, never by name.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface DevPorts {
  PORT: number;
  DEV_POSTGRES_PORT: number;
  DEV_TEMPORAL_PORT: number;
  DEV_TEMPORAL_UI_PORT: number;
}

export async function devPorts(): Promise<DevPorts> {
  const [api, pg, temporal, ui] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  return { PORT: api, DEV_POSTGRES_PORT: pg, DEV_TEMPORAL_PORT: temporal, DEV_TEMPORAL_UI_PORT: ui };
}

export interface DevRun {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process and everything holding its output have ended. */
  closed: Promise<number | null>;
  /** Resolves when the spawned process itself (npm or node) has exited. */
  exited: Promise<void>;
  waitFor(text: string | RegExp, timeoutMs: number): Promise<void>;
}

export function startDev(
  dataDir: string,
  ports: DevPorts,
  opts: { via?: 'npm' | 'node'; env?: Record<string, string> } = {},
): DevRun {
  // The services are dev mode's own unless the test names one in `opts.env` (e.g. its DATABASE_URL).
  const env: NodeJS.ProcessEnv = { ...process.env, DEV_DATA_DIR: dataDir };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'STRIPE_SECRET_KEY', 'STRIPE_API_BASE'])
    delete env[name];
  Object.assign(env, opts.env);
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  const [file, args] =
    opts.via === 'node'
      ? ['node', ['--import', 'tsx', 'src/dev/main.ts']]
      : ['npm', ['run', '--silent', 'dev']];
  const child = spawn(file, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    child,
    output: () => out,
    closed,
    exited,
    async waitFor(text, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const seen = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
      while (!seen() && Date.now() < deadline && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 200));
      if (!seen()) throw new Error(`dev mode never printed ${String(text)}; output:\n${out}`);
    },
  };
}

/** PIDs of every process below `pid`, from the kernel's own child lists. */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const walk = (p: number) => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const task of tasks) {
      let children: string;
      try {
        children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(' ').filter(Boolean).map(Number)) {
        found.push(c);
        walk(c);
      }
    }
  };
  walk(pid);
  return found;
}

/** The kernel's start time of a process (clock ticks since boot), or undefined once it is gone. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The same processes (PID and start time) that are still running. */
export function survivors(procs: Array<{ pid: number; start: string | undefined }>) {
  return procs.filter((p) => p.start !== undefined && startTime(p.pid) === p.start);
}

export function snapshot(pids: number[]) {
  return pids.map((pid) => ({ pid, start: startTime(pid) }));
}

export async function waitUntilGone(
  procs: Array<{ pid: number; start: string | undefined }>,
  timeoutMs: number,
): Promise<Array<{ pid: number; start: string | undefined }>> {
  const deadline = Date.now() + timeoutMs;
  while (survivors(procs).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  return survivors(procs);
}

/** True while any process is left in the group (a detached child's PID is its group id). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readPidFile(
  dataDir: string,
): { main: { pid: number }; children: Array<{ pid: number; command: string }> } | undefined {
  const path = `${dataDir}/dev.pid`;
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}
