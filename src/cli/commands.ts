import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createApiKey, disableApiKey, setOrganizationDisabled } from '../auth/api-keys';
import { MAX_CREDITS_PER_OPERATION } from '../credits/amounts';
import { grantCredits } from '../credits/ledger';
import type { Db } from '../db/pool';
import { DomainError } from '../errors';
import { createOrganization, createProject } from '../orgs/orgs';
import { BILLING_MODES, type BillingMode } from '../orgs/statuses';
import { runSimulateCommand, SIMULATE_SUMMARY } from './simulate';

/**
 * The admin CLI (`layers-billing`): one JSON document on stdout per command; on failure a message on
 * stderr and a non-zero exit (1 for a refused operation, 2 for a malformed command line or missing
 * configuration). Every level answers `--help`: the whole CLI, a group (`org`), a command.
 */

type Values = Record<string, string | undefined>;

interface OptionSpec {
  name: string;
  /** Placeholder in usage lines. */
  value: string;
  description: string;
  required?: boolean;
  /** Valid values, listed in help and in the error for any other. */
  choices?: readonly string[];
  /** Checks the raw text; returns a message when it is not valid. */
  check?: (raw: string) => string | undefined;
}

interface Command {
  summary: string;
  options: OptionSpec[];
  run(db: Db, values: Values): Promise<unknown>;
}

/** The tiers the migrations create (a test keeps this equal to the `tiers` table). */
export const TIERS = ['free', 'plus', 'pro', 'max', 'generative', 'team'] as const;

const positiveCredits = (raw: string) =>
  /^[0-9]+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= MAX_CREDITS_PER_OPERATION
    ? undefined
    : `must be a positive whole number of credits (1 to ${MAX_CREDITS_PER_OPERATION}), got "${raw}"`;

const ORG: OptionSpec = {
  name: 'org',
  value: '<orgId>',
  description: 'the organization (org_…)',
  required: true,
};

const GROUPS: Record<string, { summary: string; commands: Record<string, Command> }> = {
  org: {
    summary: 'organizations',
    commands: {
      create: {
        summary: 'open an organization with its default project and a first API key',
        options: [
          { name: 'name', value: '<name>', description: 'display name', required: true },
          {
            name: 'tier',
            value: '<tier>',
            description: 'subscription tier, sets the included credits per period',
            required: true,
            choices: TIERS,
          },
          {
            name: 'mode',
            value: '<mode>',
            description: 'billing mode: agency (we pay ad spend) or byo (own ad accounts); default byo',
            choices: BILLING_MODES,
          },
        ],
        async run(db, v) {
          const org = await createOrganization(db, {
            name: v.name!,
            tier: v.tier!,
            mode: v.mode as BillingMode | undefined,
          });
          const key = await createApiKey(db, org.orgId);
          return { orgId: org.orgId, projectId: org.projectId, apiKey: key.apiKey };
        },
      },
      disable: {
        summary: 'kill switch: every key of the org answers 503 KILL_SWITCH',
        options: [ORG],
        run: (db, v) => setOrganizationDisabled(db, v.org!, true),
      },
      enable: {
        summary: 'lift the kill switch',
        options: [ORG],
        run: (db, v) => setOrganizationDisabled(db, v.org!, false),
      },
    },
  },
  project: {
    summary: 'projects',
    commands: {
      create: {
        summary: 'add a project to an organization',
        options: [ORG, { name: 'name', value: '<name>', description: 'display name', required: true }],
        async run(db, v) {
          const { projectId } = await createProject(db, v.org!, v.name!);
          return { orgId: v.org, projectId, name: v.name };
        },
      },
    },
  },
  key: {
    summary: 'API keys',
    commands: {
      create: {
        summary: 'issue an API key (shown once, stored as a hash)',
        options: [ORG],
        run: (db, v) => createApiKey(db, v.org!),
      },
      disable: {
        summary: 'disable one API key',
        options: [
          { name: 'key', value: '<prefix>', description: 'the key prefix (lb_live_…)', required: true },
        ],
        run: (db, v) => disableApiKey(db, v.key!),
      },
    },
  },
  credits: {
    summary: 'credits',
    commands: {
      grant: {
        summary: 'grant prepaid credits',
        options: [
          ORG,
          {
            name: 'prepaid',
            value: '<credits>',
            description: 'how many prepaid credits, a positive whole number',
            required: true,
            check: positiveCredits,
          },
          {
            name: 'key',
            value: '<idempotency key>',
            // Without --key every run is a new grant.
            description: 'makes a retried command the same grant (e.g. an invoice number)',
          },
          { name: 'reason', value: '<text>', description: 'recorded on the ledger row' },
        ],
        async run(db, v) {
          const granted = await grantCredits(db, {
            orgId: v.org!,
            bucket: 'prepaid',
            credits: Number(v.prepaid),
            idempotencyKey: `cli:grant:${v.key ?? randomUUID()}`,
            reason: v.reason ?? 'granted with the admin CLI',
          });
          return granted.credits;
        },
      },
    },
  },
};

class UsageError extends Error {
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

/** A complete answer without running anything (help asked for). */
class HelpRequested extends Error {}

const BIN = 'layers-billing';
const optionUsage = (o: OptionSpec) => {
  const text = `--${o.name} ${o.choices ? o.choices.join('|') : o.value}`;
  return o.required ? text : `[${text}]`;
};
const usageLine = (group: string, name: string, c: Command) =>
  `${BIN} ${group} ${name} ${c.options.map(optionUsage).join(' ')}`;

const ROOT_HELP = `usage: ${BIN} <group> <command> [options]

Administers the billing engine's database directly (DATABASE_URL must be set) and prints one JSON
document on stdout. Exit codes: 0 done, 1 refused (e.g. NOT_FOUND), 2 bad command line or configuration.
\`simulate\` runs on a scratch database of its own instead (\`${BIN} simulate --help\`).

commands:
${Object.entries(GROUPS)
  .flatMap(([g, { commands }]) =>
    Object.entries(commands).map(([n, c]) => `  ${`${g} ${n}`.padEnd(18)}${c.summary}`),
  )
  .join('\n')}
  ${'simulate'.padEnd(18)}${SIMULATE_SUMMARY}

${BIN} <group> --help and ${BIN} <group> <command> --help say more.`;

function groupHelp(group: string): string {
  const { summary, commands } = GROUPS[group]!;
  return `usage: ${BIN} ${group} <command> [options]   (${summary})

commands:
${Object.entries(commands)
  .map(([n, c]) => `  ${n.padEnd(10)}${c.summary}`)
  .join('\n')}

${BIN} ${group} <command> --help lists its options.`;
}

function commandHelp(group: string, name: string, c: Command): string {
  const width = Math.max(...c.options.map((o) => `--${o.name} ${o.value}`.length)) + 2;
  return `usage: ${usageLine(group, name, c)}

${c.summary}.

options:
${c.options
  .map((o) => {
    const notes = [
      o.required ? 'required' : undefined,
      o.choices ? `one of: ${o.choices.join(', ')}` : undefined,
    ]
      .filter(Boolean)
      .join('; ');
    return `  ${`--${o.name} ${o.value}`.padEnd(width)}${o.description}${notes ? ` (${notes})` : ''}`;
  })
  .join('\n')}
  ${'--help'.padEnd(width)}this text`;
}

const wantsHelp = (args: string[]) => {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
};

/**
 * parseArgs refuses `--prepaid -5` as ambiguous (the value looks like an option); every option of ours
 * takes a value, so what follows a known option is its value, and the check says what is wrong with it.
 */
function attachValues(args: string[], c: Command): string[] {
  const names = new Set(c.options.map((o) => o.name));
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg.startsWith('--') && names.has(arg.slice(2)) && next?.startsWith('-') && next !== '--') {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

function parse(argv: string[]): { command: Command; values: Values } {
  const [group, name, ...rest] = argv;
  if (group === undefined) throw new UsageError('no command given', ROOT_HELP);
  if (group === 'help' || group === '--help' || group === '-h') throw new HelpRequested(ROOT_HELP);
  const g = GROUPS[group];
  if (!g) throw new UsageError(`unknown command "${group}"`, ROOT_HELP);
  if (name === undefined) throw new UsageError(`${group} needs a command`, groupHelp(group));
  if (name === '--help' || name === '-h') throw new HelpRequested(groupHelp(group));
  const command = g.commands[name];
  if (!command) throw new UsageError(`unknown command "${group} ${name}"`, groupHelp(group));
  const help = commandHelp(group, name, command);
  if (wantsHelp(rest)) throw new HelpRequested(help);

  let values: Values;
  try {
    values = parseArgs({
      args: attachValues(rest, command),
      options: Object.fromEntries(command.options.map((o) => [o.name, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    }).values as Values;
  } catch (err) {
    throw new UsageError((err as Error).message, help);
  }
  const missing = command.options.filter((o) => o.required && !values[o.name]);
  if (missing.length > 0)
    throw new UsageError(`missing ${missing.map((o) => `--${o.name}`).join(', ')}`, help);
  for (const o of command.options) {
    const raw = values[o.name];
    if (raw === undefined) continue;
    if (o.choices && !o.choices.includes(raw))
      throw new UsageError(`--${o.name} must be one of ${o.choices.join(', ')}; got "${raw}"`, help);
    const problem = o.check?.(raw);
    if (problem) throw new UsageError(`--${o.name} ${problem}`, help);
  }
  return { command, values };
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Opens the database; the CLI closes it when the command is done. */
  openDb: (url: string) => Db;
}

/** Runs one command line; returns the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  // Not a group: it makes its own scratch database rather than administering DATABASE_URL's.
  if (argv[0] === 'simulate') return runSimulateCommand(argv.slice(1), io);
  let db: Db | undefined;
  try {
    const { command, values } = parse(argv);
    const url = io.env.DATABASE_URL;
    if (!url) {
      io.stderr(`${BIN}: DATABASE_URL is not set: point it at the billing database (postgres://…)\n`);
      return 2;
    }
    db = io.openDb(url);
    const result = await command.run(db, values);
    io.stdout(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof HelpRequested) {
      io.stdout(`${err.message}\n`);
      return 0;
    }
    if (err instanceof UsageError) {
      io.stderr(`${BIN}: ${err.message}\n\n${err.help}\n`);
      return 2;
    }
    if (err instanceof DomainError) {
      io.stderr(`${BIN}: ${err.code}: ${err.message}\n`);
      return 1;
    }
    io.stderr(`${BIN}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await db?.destroy();
  }
}
