import { randomUUID } from 'node:crypto';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createApiKey, disableApiKey, setOrganizationDisabled } from '../auth/api-keys';
import { grantCredits } from '../credits/ledger';
import type { Db } from '../db/pool';
import type { BillingMode } from '../db/schema';
import { DomainError } from '../errors';
import { createOrganization, createProject } from '../orgs/orgs';

/**
 * The admin CLI (`layers-billing`): one JSON document on stdout per command; on failure a message on
 * stderr and a non-zero exit (1 for a refused operation, 2 for a malformed command line).
 */

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | undefined>;

interface Command {
  usage: string;
  options: Options;
  required: string[];
  run(db: Db, values: Values): Promise<unknown>;
}

const str = { type: 'string' } as const;

const COMMANDS: Record<string, Command> = {
  'org create': {
    usage: 'org create --name <name> --tier <tier> [--mode agency|byo]',
    options: { name: str, tier: str, mode: str },
    required: ['name', 'tier'],
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
  'org disable': {
    usage: 'org disable --org <orgId>',
    options: { org: str },
    required: ['org'],
    run: (db, v) => setOrganizationDisabled(db, v.org!, true),
  },
  'org enable': {
    usage: 'org enable --org <orgId>',
    options: { org: str },
    required: ['org'],
    run: (db, v) => setOrganizationDisabled(db, v.org!, false),
  },
  'project create': {
    usage: 'project create --org <orgId> --name <name>',
    options: { org: str, name: str },
    required: ['org', 'name'],
    async run(db, v) {
      const { projectId } = await createProject(db, v.org!, v.name!);
      return { orgId: v.org, projectId, name: v.name };
    },
  },
  'key create': {
    usage: 'key create --org <orgId>',
    options: { org: str },
    required: ['org'],
    run: (db, v) => createApiKey(db, v.org!),
  },
  'key disable': {
    usage: 'key disable --key <prefix>',
    options: { key: str },
    required: ['key'],
    run: (db, v) => disableApiKey(db, v.key!),
  },
  'credits grant': {
    // Without --key every run is a new grant; pass --key to make a retried command safe.
    usage: 'credits grant --org <orgId> --prepaid <credits> [--key <idempotency key>] [--reason <text>]',
    options: { org: str, prepaid: str, key: str, reason: str },
    required: ['org', 'prepaid'],
    async run(db, v) {
      if (!/^[0-9]+$/.test(v.prepaid!)) throw new UsageError('--prepaid must be a whole number of credits');
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
};

class UsageError extends Error {}

export const USAGE = `usage: layers-billing <command> [options]   (DATABASE_URL must be set)

${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}`)
  .join('\n')}

Prints one JSON document on stdout.`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Opens the database; the CLI closes it when the command is done. */
  openDb: (url: string) => Db;
}

function parse(argv: string[]): { command: Command; values: Values } {
  const name = argv.slice(0, 2).join(' ');
  const command = COMMANDS[name];
  if (!command) throw new UsageError(argv.length === 0 ? 'no command given' : `unknown command "${name}"`);
  let values: Values;
  try {
    values = parseArgs({
      args: argv.slice(2),
      options: command.options,
      strict: true,
      allowPositionals: false,
    }).values as Values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n  ${command.usage}`);
  }
  const missing = command.required.filter((o) => !values[o]);
  if (missing.length > 0) {
    throw new UsageError(`missing ${missing.map((o) => `--${o}`).join(', ')}\n  ${command.usage}`);
  }
  return { command, values };
}

/** Runs one command line; returns the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  let db: Db | undefined;
  try {
    const { command, values } = parse(argv);
    const url = io.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set');
    db = io.openDb(url);
    const result = await command.run(db, values);
    io.stdout(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`layers-billing: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof DomainError) {
      io.stderr(`layers-billing: ${err.code}: ${err.message}\n`);
      return 1;
    }
    io.stderr(`layers-billing: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await db?.destroy();
  }
}
