import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type TemporalBinary = 'temporal' | 'temporal-test-server';

export type EphemeralExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

/** Where scripts/install-tools.sh puts the Temporal CLI and test server (from the Python package index). */
export const TOOLS_BIN = fileURLToPath(new URL('../../.tools/venv/bin/', import.meta.url));

/**
 * The SDK downloads its dev and test servers at run time, which fails without internet. Prefer the
 * project-local binaries; fall back to the SDK's own download on machines that have internet.
 */
export function temporalExecutable(binary: TemporalBinary): EphemeralExecutable {
  const path = `${TOOLS_BIN}${binary}`;
  return existsSync(path) ? { type: 'existing-path', path } : { type: 'cached-download' };
}
