import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseScenario, ScenarioError, type Scenario } from '../simulator/scenario';

export const SIMULATE_SUMMARY = 'run a scenario on the real engine, time-skipped, as a JSON timeline';

export const SIMULATE_HELP = `usage: layers-billing simulate --scenario <file> [--out <file>] [--invoices <dir>] [--trace]

${SIMULATE_SUMMARY}.

Runs the real billing, generation and credit-pack workflows and activities on Temporal's time-skipping
test server, against a scratch PostgreSQL database (created on DATABASE_URL's server, else on
127.0.0.1:5432, else in an embedded PostgreSQL; dropped at the end) and localstripe, and prints the
timeline as JSON: periods, charges, invoices, prices, finalSnapshot, wallet (agency orgs), ledgerDrift and
what each event did.

options:
  --scenario <file>  the scenario, JSON (required; see "Simulator" in the README)
  --out <file>       write the timeline there instead of stdout (stdout then gets a one-line summary)
  --invoices <dir>   write each invoice the run issued there as <number>.pdf and <number>.csv
  --trace            each step and its wall time on stderr
  --help             this text

Exit codes: 0 done, 1 the run failed or the ledger drifted, 2 a bad command line or scenario.`;

export interface SimulateIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const BIN = 'layers-billing simulate';

/** `layers-billing simulate`: returns the exit code. */
export async function runSimulateCommand(argv: string[], io: SimulateIo): Promise<number> {
  if (argv.some((a) => a === '--help' || a === '-h')) {
    io.stdout(`${SIMULATE_HELP}\n`);
    return 0;
  }
  let values: { scenario?: string; out?: string; invoices?: string; trace?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        scenario: { type: 'string' },
        out: { type: 'string' },
        invoices: { type: 'string' },
        trace: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return usage(io, (err as Error).message);
  }
  if (!values.scenario) return usage(io, 'missing --scenario');

  let scenario: Scenario;
  try {
    scenario = await loadScenario(values.scenario);
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    io.stderr(`${BIN}: ${values.scenario}: ${err.message}\n`);
    return 2;
  }

  // Loaded only now: Temporal's native runtime and the engine are not for the other commands, nor for a
  // scenario refused above.
  const { runSimulation } = await import('../simulator/runner');
  await quietTemporalRuntime();
  const aborts = new AbortController();
  const abort = () => aborts.abort(new Error('interrupted'));
  process.once('SIGINT', abort).once('SIGTERM', abort);
  try {
    const timeline = await runSimulation(scenario, {
      serverUrl: io.env.DATABASE_URL || undefined,
      signal: aborts.signal,
      trace: values.trace ? (line) => io.stderr(`[simulate] ${line}\n`) : undefined,
      invoicesDir: values.invoices,
    });
    const json = `${JSON.stringify(timeline, null, 2)}\n`;
    if (values.out) {
      await writeFile(values.out, json);
      io.stdout(
        `${JSON.stringify({ out: values.out, periods: timeline.periods.length, charges: timeline.charges.length, invoices: timeline.invoices.length, ledgerDrift: timeline.ledgerDrift })}\n`,
      );
    } else io.stdout(json);
    if (timeline.ledgerDrift > 0) {
      io.stderr(`${BIN}: the ledger does not explain ${timeline.ledgerDrift} balance column(s)\n`);
      return 1;
    }
    return 0;
  } catch (err) {
    io.stderr(`${BIN}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', abort).off('SIGTERM', abort);
  }
}

function usage(io: SimulateIo, message: string): number {
  io.stderr(`${BIN}: ${message}\n\n${SIMULATE_HELP}\n`);
  return 2;
}

/** The file's scenario; an unreadable file or malformed JSON is a ScenarioError too (exit 2). */
async function loadScenario(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ScenarioError('', `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError('', `is not JSON: ${(err as Error).message}`);
  }
  return parseScenario(json);
}

/**
 * Stdout carries the timeline: the Temporal worker's own log lines (warnings and errors only) go to
 * stderr. Once per process; a runtime already installed (a test's) is kept.
 */
async function quietTemporalRuntime(): Promise<void> {
  const { DefaultLogger, makeTelemetryFilterString, Runtime } = await import('@temporalio/worker');
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN', ({ level, message }) => {
        process.stderr.write(`[temporal] ${level} ${message}\n`);
      }),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
    });
  } catch {
    // Already installed.
  }
}
