import net from 'node:net';
import { DevStartError } from './start-error';

export interface DevPort {
  port: number;
  /** The variable that moves it. */
  variable: string;
  service: string;
}

/** Reads a port variable, refusing anything that is not a TCP port. */
export function portSetting(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new DevStartError(`${variable} must be a TCP port (1-65535), got "${raw}"`);
  return port;
}

function canBind(port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/**
 * Every port dev mode will listen on must be free before it starts anything. A Temporal dev server that
 * cannot bind is not noticed by the SDK, which then connects to whatever answers on that port: another
 * Temporal, with another database, sharing our task queue.
 */
export async function assertPortsFree(ports: DevPort[]): Promise<void> {
  for (const p of ports) {
    const err = await canBind(p.port);
    if (!err) continue;
    const why =
      err.code === 'EADDRINUSE' ? 'is already in use' : `cannot be bound (${err.code ?? err.message})`;
    throw new DevStartError(
      `port ${p.port} for ${p.service} ${why} on 127.0.0.1: stop what listens there, or set ${p.variable} to a free port`,
    );
  }
}

/** A loopback port nobody listens on right now (another process may still take it before we bind). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
