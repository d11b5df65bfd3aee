import { ConfigError } from '../config';

/**
 * The operator-facing entry points (`npm start`, `npm run migrate`, `npm run reconcile`): `--help`
 * prints their usage; a missing or malformed setting, or a service that cannot be reached, is one line
 * on stderr instead of a stack trace. Exit codes: 2 for configuration, 1 for an unreachable service.
 */
export async function runEntry(
  name: string,
  usage: string,
  main: () => Promise<number | void>,
  argv = process.argv.slice(2),
): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    process.exitCode = 0;
    return;
  }
  try {
    const code = await main();
    if (code !== undefined) process.exitCode = code;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${name}: ${err.message}`);
      process.exitCode = 2;
    } else if (isSystemError(err)) {
      // ECONNREFUSED, ENOTFOUND, …: the message names the address; the stack would only add noise.
      console.error(`${name}: ${err.message}`);
      process.exitCode = 1;
    } else throw err;
  }
}

function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  if (err instanceof AggregateError) return err.errors.every(isSystemError);
  return (
    err instanceof Error &&
    typeof (err as NodeJS.ErrnoException).code === 'string' &&
    /^E[A-Z]+$/.test((err as NodeJS.ErrnoException).code!)
  );
}
