import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describe as describeProcess } from '../../src/dev/processes';
import { devPorts, groupAlive, readPidFile, startDev, type DevPorts } from '../support/dev-mode';

/**
 * Dev mode refuses to start, quickly and in one line that says what to change, when it could not run
 * correctly: a port it needs is taken, another run owns the data directory, PostgreSQL cannot start.
 * It leaves no process of its group behind and no pid file.
 */
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'layers-dev-fail-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function expectRefusal(dataDir: string, ports: DevPorts, message: RegExp) {
  const began = Date.now();
  const run = startDev(dataDir, ports, { via: 'node' });
  const code = await run.closed;
  expect(run.output()).toMatch(message);
  expect(run.output()).not.toContain('[dev] ready');
  expect(run.output()).not.toMatch(/^\s+at /m); // no stack trace
  expect(code).toBe(1);
  expect(Date.now() - began).toBeLessThan(20_000);
  expect(groupAlive(run.child.pid!)).toBe(false);
  return run;
}

describe('npm run dev refuses to start', () => {
  it.each([
    ['DEV_POSTGRES_PORT', 'embedded PostgreSQL'],
    ['DEV_TEMPORAL_PORT', 'the Temporal dev server'],
    ['DEV_TEMPORAL_UI_PORT', 'the Temporal UI'],
    ['PORT', 'the API'],
  ] as const)('when %s is taken, naming the port and the variable', async (variable, service) => {
    const ports = await devPorts();
    // Someone else's server on the port, as another Temporal on 7233 would be.
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(ports[variable], '127.0.0.1', resolve));
    try {
      const dataDir = tempDir();
      await expectRefusal(
        dataDir,
        ports,
        new RegExp(
          `port ${ports[variable]} for ${service} is already in use.*set ${variable} to a free port`,
        ),
      );
      expect(readPidFile(dataDir)).toBeUndefined();
    } finally {
      squatter.close();
    }
  });

  it('when a port variable is not a port', async () => {
    await expectRefusal(
      tempDir(),
      { ...(await devPorts()), DEV_TEMPORAL_PORT: 'seven' as unknown as number },
      /DEV_TEMPORAL_PORT must be a TCP port \(1-65535\), got "seven"/,
    );
  });

  it('while another run owns the data directory, saying how to stop it, and leaves that run alone', async () => {
    const dataDir = tempDir();
    // Stands in for the other run: a process of this test's own, recorded as the owner.
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const main = describeProcess(other.pid!)!;
      writeFileSync(join(dataDir, 'dev.pid'), JSON.stringify({ main, children: [] }));
      await expectRefusal(
        dataDir,
        await devPorts(),
        new RegExp(`another \`npm run dev\` \\(pid ${other.pid}\\).*kill ${other.pid}.*DEV_DATA_DIR`),
      );
      expect(other.exitCode).toBeNull();
      expect(describeProcess(other.pid!)?.started).toBe(main.started);
      expect(readPidFile(dataDir)?.main.pid).toBe(other.pid); // still the other run's
    } finally {
      other.kill();
    }
  });

  it('when PostgreSQL cannot start, with PostgreSQL’s own reason', async () => {
    const dataDir = tempDir();
    // A data directory PostgreSQL cannot use: initialised, as far as dev mode can tell, but empty.
    mkdirSync(join(dataDir, 'postgres'), { recursive: true });
    writeFileSync(join(dataDir, 'postgres', 'PG_VERSION'), '18\n');
    const run = await expectRefusal(dataDir, await devPorts(), /PostgreSQL start failed \(data directory /);
    expect(run.output()).not.toContain('undefined');
    expect(run.output()).toMatch(
      /its log ends with:\n\s+postgres: could not access the server configuration file/,
    );
  });
});
