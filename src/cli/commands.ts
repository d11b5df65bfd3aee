import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { adminActor, type AuditedBy } from '../audit/actors';
import {
  createApiKeyAudited,
  disableApiKeyAudited,
  grantCreditsAudited,
  setOrganizationDisabledAudited,
} from '../audit/admin';
import { recordSubscriptionRequest, setCreditAlertAudited } from '../audit/billing';
import { EXPORT_FORMATS } from '../audit/export';
import { runAuditExport } from '../audit/export-cli';
import { verifyAuditChains, type VerifyResult } from '../audit/verify';
import { creditWireAudited, setPlatformFeeBpsAudited } from '../audit/wallet';
import { API_KEY_SCOPES } from '../auth/scopes';
import { createSignInLink, dashboardKeyOf, signInUrl } from '../auth/sign-in-links';
import { EFFECTIVE, type ChangeRequest } from '../billing/changes';
import { createBillingClient, type BillingClient } from '../billing/client';
import { startAllOrgBilling, startOrgBilling, type StartedAll } from '../billing/enroll';
import { previewChange } from '../billing/preview';
import { INTERVALS, MAX_SEATS } from '../billing/subscription';
import { getSubscription } from '../billing/subscriptions';
import { TIER_IDS } from '../billing/tiers';
import { changeResultView, subscriptionView } from '../billing/views';
import { isDateTime, parseDateTime } from '../api/date-time';
import { ENTRY_LIMIT_DEFAULT, ENTRY_LIMIT_MAX, LEDGER_CURSOR_PATTERN } from '../api/schemas';
import { ConfigError, loadConfig } from '../config';
import { MAX_CREDITS_PER_OPERATION } from '../credits/amounts';
import type { Db } from '../db/pool';
import { DomainError } from '../errors';
import { renderInvoiceCsv } from '../invoices/csv';
import { INVOICE_NUMBER_PATTERN, type Invoice } from '../invoices/document';
import { issueCreditNote } from '../invoices/issue';
import { invoiceToJson } from '../invoices/json';
import { renderInvoicePdf } from '../invoices/pdf';
import { getInvoice, listInvoices, upcomingInvoice } from '../invoices/queries';
import { usageSummary } from '../invoices/usage-queries';
import { createOrganization, createProject, requireOrganization } from '../orgs/orgs';
import { BILLING_MODES, type BillingMode } from '../orgs/statuses';
import { MAX_CENTS_PER_OPERATION } from '../wallet/amounts';
import { createWalletClient, type WalletClient } from '../wallet/client';
import { balancesView, readWalletView, topUpView } from '../wallet/views';
import { runSimulateCommand, SIMULATE_SUMMARY } from './simulate';

/**
 * The admin CLI (`layers-billing`): one JSON document on stdout per command; on failure a message on
 * stderr and a non-zero exit (1 for a refused operation, 2 for a malformed command line or missing
 * configuration). Every level answers `--help`: the whole CLI, a group (`org`), a command.
 */

type Values = Record<string, string | boolean | undefined>;

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
  /** Takes no value (`--all`). */
  flag?: boolean;
}

/** What a command runs with: the database, and the billing workflows' client when it needs one. */
export interface CliContext {
  db: Db;
  /**
   * Connects to Temporal on first use, from TEMPORAL_ADDRESS (TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE,
   * ENGINE_TIMEOUT_MS as the API reads them); commands that write call it before writing anything, so
   * a missing or unreachable Temporal leaves nothing half done.
   */
  billing(): Promise<BillingClient>;
  /** The wallet workflows' client, connected the same way. */
  wallet(): Promise<WalletClient>;
  /**
   * Who the command acts as in the audit trail (--actor, else the OS user), under a key of this run: a
   * command with a key of its own (--key) records under that instead, so its retry records nothing twice.
   */
  audit: AuditedBy;
  /** Where a command that prints its own output (not one JSON document) writes it. */
  write(chunks: AsyncIterable<string | Buffer>): Promise<void>;
  /** The environment the CLI runs with (PORT, for the dashboard's address). */
  env: NodeJS.ProcessEnv;
}

interface Command {
  summary: string;
  options: OptionSpec[];
  /** The options of which at least one must be given. */
  oneOf?: string[];
  /** Says so in the help of commands that need TEMPORAL_ADDRESS. */
  temporal?: boolean;
  run(ctx: CliContext, values: Values): Promise<unknown>;
  /** The exit code of a result that was printed but is not a full success (default 0). */
  exitCode?(result: unknown): number;
  /** It writes its output itself (ctx.write); its result is not printed. */
  printsItself?: boolean;
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

const wholeNumber = (min: number, max: number, what: string) => (raw: string) =>
  /^[0-9]+$/.test(raw) && Number(raw) >= min && Number(raw) <= max
    ? undefined
    : `must be ${what} (${min} to ${max}), got "${raw}"`;

const dateTime = (raw: string) =>
  isDateTime(raw) ? undefined : `must be an RFC 3339 date-time (2026-03-01T00:00:00Z), got "${raw}"`;

/** The plan options of a change, a preview and a resume; `effective` only where it applies. */
const planOptions = (withEffective: boolean): OptionSpec[] => [
  { name: 'tier', value: '<tier>', description: 'the tier to move to', choices: TIER_IDS },
  { name: 'interval', value: '<interval>', description: 'how often it is paid for', choices: INTERVALS },
  {
    name: 'seats',
    value: '<n>',
    description: 'how many seats',
    check: wholeNumber(1, MAX_SEATS, 'a whole number of seats'),
  },
  ...(withEffective
    ? [
        {
          name: 'effective',
          value: '<when>',
          description: 'now, or at the renewal (default: upgrades now, downgrades at the renewal)',
          choices: EFFECTIVE,
        },
      ]
    : []),
];

const changeRequestOf = (v: Values): ChangeRequest => ({
  tier: v.tier,
  interval: v.interval,
  seats: v.seats === undefined ? undefined : Number(v.seats),
  effective: v.effective,
});

const INVOICE_NUMBER: OptionSpec = {
  name: 'number',
  value: '<number>',
  description: 'the invoice number (LB-2026-000042)',
  required: true,
  check: (raw) =>
    INVOICE_NUMBER_PATTERN.test(raw) ? undefined : `must be an invoice number (LB-2026-000042), got "${raw}"`,
};

/**
 * `invoice pdf` and `invoice csv`: the issued invoice rendered as the API downloads it, written to --out
 * (after it was found and rendered, so a refusal writes no file). What is printed says where and how
 * much, since stdout is always one JSON document.
 */
const invoiceFile = (
  format: 'pdf' | 'csv',
  render: (invoice: Invoice) => Promise<Buffer> | string,
): Command => ({
  summary: `write an issued invoice as ${format.toUpperCase()} to a file, as GET /v1/invoices/{number}.${format}`,
  options: [
    ORG,
    INVOICE_NUMBER,
    {
      name: 'out',
      value: '<file>',
      description: `where to write the ${format.toUpperCase()} (replaced if it exists)`,
      required: true,
    },
  ],
  async run({ db }, v) {
    const { invoice } = await getInvoice(db, String(v.org), String(v.number));
    const data = await render(invoice);
    const out = path.resolve(String(v.out));
    await writeFile(out, data);
    return { out, bytes: Buffer.byteLength(data), number: invoice.number };
  },
});

const UPDATE_KEY: OptionSpec = {
  name: 'key',
  value: '<idempotency key>',
  // Without --key every run is a new request; with it, a retried command is the same Update.
  description: 'makes a retried command the same change (Temporal answers it once)',
};
const updateIdOf = (v: Values): string | undefined =>
  v.key === undefined ? undefined : `cli:${String(v.key)}`;

/** Every command that changes money or billing settings takes it; the audit trail records the name. */
const ACTOR: OptionSpec = {
  name: 'actor',
  value: '<name>',
  description: 'who is acting, for the audit trail (default: the OS user)',
};

/** A subscription command's audit key: its --key (the Update's id), else this run's. */
const subscriptionAudit = (ctx: CliContext, v: Values): AuditedBy => ({
  actor: ctx.audit.actor,
  key: updateIdOf(v) ?? ctx.audit.key,
});

const dateTimeOption = (raw: string) =>
  isDateTime(raw) ? undefined : `must be an RFC 3339 date-time (2026-03-01T00:00:00Z), got "${raw}"`;

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
          ACTOR,
        ],
        temporal: true,
        async run({ db, billing, audit }, v) {
          const client = await billing();
          const org = await createOrganization(db, {
            name: String(v.name),
            tier: String(v.tier),
            mode: v.mode as BillingMode | undefined,
          });
          // Before the key, so that a failure here loses no key that was shown once.
          const started = await startOrgBilling(db, client, org.orgId).catch((err: unknown) => {
            const why = err instanceof Error ? err.message : String(err);
            throw new Error(
              `org ${org.orgId} was created but its billing workflow did not start (${why}); run ` +
                `\`${BIN} billing start --org ${org.orgId}\`, then \`${BIN} key create --org ${org.orgId}\``,
            );
          });
          const key = await createApiKeyAudited(db, audit.actor, org.orgId);
          return {
            orgId: org.orgId,
            projectId: org.projectId,
            apiKey: key.apiKey,
            billingWorkflowId: started.workflowId,
          };
        },
      },
      disable: {
        summary: 'kill switch: every key of the org answers 503 KILL_SWITCH',
        options: [ORG, ACTOR],
        run: ({ db, audit }, v) => setOrganizationDisabledAudited(db, audit, String(v.org), true),
      },
      enable: {
        summary: 'lift the kill switch',
        options: [ORG, ACTOR],
        run: ({ db, audit }, v) => setOrganizationDisabledAudited(db, audit, String(v.org), false),
      },
    },
  },
  project: {
    summary: 'projects',
    commands: {
      create: {
        summary: "add a project to an organization, within its tier's project limit",
        options: [ORG, { name: 'name', value: '<name>', description: 'display name', required: true }],
        async run({ db }, v) {
          const { projectId } = await createProject(db, String(v.org), String(v.name));
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
        options: [
          ORG,
          {
            name: 'scope',
            value: '<scope>',
            description:
              'also lets the key call the routes that require it (wallet:spend: the ad-platform billing ingest; ' +
              'dashboard: signing in to the dashboard)',
            choices: API_KEY_SCOPES,
          },
          ACTOR,
        ],
        run: ({ db, audit }, v) =>
          createApiKeyAudited(db, audit.actor, String(v.org), {
            scopes: v.scope === undefined ? [] : [String(v.scope)],
          }),
      },
      disable: {
        summary: 'disable one API key',
        options: [
          { name: 'key', value: '<prefix>', description: 'the key prefix (lb_live_…)', required: true },
          ACTOR,
        ],
        run: ({ db, audit }, v) => disableApiKeyAudited(db, audit.actor, String(v.key)),
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
          ACTOR,
        ],
        async run({ db, audit }, v) {
          const granted = await grantCreditsAudited(db, audit.actor, {
            orgId: String(v.org),
            bucket: 'prepaid',
            credits: Number(v.prepaid),
            idempotencyKey: `cli:grant:${v.key ?? randomUUID()}`,
            reason: v.reason === undefined ? 'granted with the admin CLI' : String(v.reason),
          });
          return granted.credits;
        },
      },
      'alerts set': {
        summary: 'set the credit alert threshold (one notification when available drops below it)',
        options: [
          ORG,
          {
            name: 'threshold',
            value: '<credits>|off',
            description: 'a positive whole number of credits, or off to remove the alert',
            required: true,
            check: (raw) =>
              raw === 'off'
                ? undefined
                : wholeNumber(1, MAX_CREDITS_PER_OPERATION, 'a positive whole number of credits or off')(raw),
          },
          ACTOR,
        ],
        run: ({ db, audit }, v) =>
          setCreditAlertAudited(db, audit, String(v.org), v.threshold === 'off' ? null : Number(v.threshold)),
      },
    },
  },
  subscription: {
    summary: "an org's subscription (through its billing workflow)",
    commands: {
      show: {
        summary: 'the subscription as GET /v1/subscription shows it',
        options: [ORG],
        run: async ({ db }, v) => subscriptionView(String(v.org), await getSubscription(db, String(v.org))),
      },
      preview: {
        summary: 'what a change would charge or refund now, line by line; changes nothing',
        options: [ORG, ...planOptions(true)],
        oneOf: ['tier', 'interval', 'seats'],
        run: ({ db }, v) => previewChange(db, String(v.org), changeRequestOf(v), new Date()),
      },
      change: {
        summary: 'change tier, interval or seats (upgrades now, downgrades at the renewal)',
        options: [ORG, ...planOptions(true), UPDATE_KEY, ACTOR],
        oneOf: ['tier', 'interval', 'seats'],
        temporal: true,
        async run(ctx, v) {
          const orgId = String(v.org);
          const request = changeRequestOf(v);
          const r = await (await ctx.billing()).change(orgId, request, updateIdOf(v));
          await recordSubscriptionRequest(ctx.db, subscriptionAudit(ctx, v), orgId, 'change', request, r);
          return changeResultView(orgId, r);
        },
      },
      cancel: {
        summary: 'cancel at the end of the current period',
        options: [ORG, UPDATE_KEY, ACTOR],
        temporal: true,
        async run(ctx, v) {
          const orgId = String(v.org);
          const r = await (await ctx.billing()).cancel(orgId, updateIdOf(v));
          await recordSubscriptionRequest(ctx.db, subscriptionAudit(ctx, v), orgId, 'cancel', null, r);
          return changeResultView(orgId, r);
        },
      },
      pause: {
        summary: 'pause now, refunding the unused paid time',
        options: [ORG, UPDATE_KEY, ACTOR],
        temporal: true,
        async run(ctx, v) {
          const orgId = String(v.org);
          const r = await (await ctx.billing()).pause(orgId, updateIdOf(v));
          await recordSubscriptionRequest(ctx.db, subscriptionAudit(ctx, v), orgId, 'pause', null, r);
          return changeResultView(orgId, r);
        },
      },
      resume: {
        summary: 'undo a pending cancel, end a pause, or subscribe a canceled org again',
        options: [ORG, ...planOptions(false), UPDATE_KEY, ACTOR],
        temporal: true,
        async run(ctx, v) {
          const orgId = String(v.org);
          const { tier, interval, seats } = changeRequestOf(v);
          const request = { tier, interval, seats };
          const r = await (await ctx.billing()).resume(orgId, request, updateIdOf(v));
          await recordSubscriptionRequest(ctx.db, subscriptionAudit(ctx, v), orgId, 'resume', request, r);
          return changeResultView(orgId, r);
        },
      },
    },
  },
  billing: {
    summary: 'billing workflows',
    commands: {
      start: {
        summary:
          "start the org's billing workflow, or every org's (idempotent: running ones are left as they are)",
        options: [
          { name: 'org', value: '<orgId>', description: 'the organization (org_…)' },
          { name: 'all', value: '', description: 'every organization', flag: true },
        ],
        oneOf: ['org', 'all'],
        temporal: true,
        async run({ db, billing }, v) {
          if (v.org !== undefined && v.all) throw new UsageLineError('give --org or --all, not both');
          const client = await billing();
          if (v.all) return startAllOrgBilling(db, client);
          return startOrgBilling(db, client, String(v.org));
        },
        // Every org that could not be started is listed in the output; the run as a whole failed.
        exitCode: (r) => ((r as Partial<StartedAll>).failed?.length ? 1 : 0),
      },
    },
  },
  usage: {
    summary: "an org's metered usage (workflow runs, SDK events, media storage)",
    commands: {
      show: {
        summary:
          'usage per metric against the tier’s allowance, as GET /v1/usage: the current credit period, or [--from, --to)',
        options: [
          ORG,
          { name: 'from', value: '<date-time>', description: 'period start (RFC 3339)', check: dateTime },
          {
            name: 'to',
            value: '<date-time>',
            description: 'period end, excluded (RFC 3339)',
            check: dateTime,
          },
        ],
        run: ({ db }, v) =>
          usageSummary(db, String(v.org), {
            from: v.from === undefined ? undefined : parseDateTime(String(v.from)),
            to: v.to === undefined ? undefined : parseDateTime(String(v.to)),
          }),
      },
    },
  },
  invoice: {
    summary: "an org's invoices (issued at each credit period close), and the open period's preview",
    commands: {
      list: {
        summary: 'the org’s invoices newest first, as GET /v1/invoices (pass nextCursor as --cursor)',
        options: [
          ORG,
          {
            name: 'limit',
            value: '<n>',
            description: `how many, newest first (default ${ENTRY_LIMIT_DEFAULT})`,
            check: wholeNumber(1, ENTRY_LIMIT_MAX, 'a whole number of invoices'),
          },
          {
            name: 'cursor',
            value: '<cursor>',
            description: 'the nextCursor of the previous page',
            check: (raw) =>
              new RegExp(LEDGER_CURSOR_PATTERN).test(raw)
                ? undefined
                : `must be the nextCursor of a previous page, got "${raw}"`,
          },
        ],
        async run({ db }, v) {
          const orgId = String(v.org);
          await requireOrganization(db, orgId);
          return listInvoices(db, orgId, {
            limit: v.limit === undefined ? ENTRY_LIMIT_DEFAULT : Number(v.limit),
            before: v.cursor === undefined ? undefined : Number(v.cursor),
          });
        },
      },
      show: {
        summary: 'one issued invoice as its JSON document, as GET /v1/invoices/{number}',
        options: [ORG, INVOICE_NUMBER],
        async run({ db }, v) {
          const issued = await getInvoice(db, String(v.org), String(v.number));
          return { ...issued, invoice: invoiceToJson(issued.invoice) };
        },
      },
      pdf: invoiceFile('pdf', renderInvoicePdf),
      csv: invoiceFile('csv', renderInvoiceCsv),
      'credit-note': {
        summary:
          'correct an issued invoice with a credit note that reverses it: a new number, never an edit; ' +
          'once per invoice',
        options: [
          ORG,
          INVOICE_NUMBER,
          { name: 'reason', value: '<text>', description: 'why, shown on the credit note', required: true },
          ACTOR,
        ],
        async run({ db, audit }, v) {
          const note = await issueCreditNote(db, {
            orgId: String(v.org),
            number: String(v.number),
            reason: String(v.reason),
            at: new Date(),
            actor: audit.actor,
          });
          return { duplicate: note.duplicate, invoice: invoiceToJson(note.invoice) };
        },
      },
      upcoming: {
        summary:
          'the open period’s invoice so far, numbered upcoming, as GET /v1/invoices/upcoming; stores nothing',
        options: [ORG],
        async run({ db }, v) {
          const preview = await upcomingInvoice(db, String(v.org), new Date());
          return { ...preview, invoice: invoiceToJson(preview.invoice, { preview: true }) };
        },
      },
    },
  },
  wallet: {
    summary: "an agency org's ad-spend wallet",
    commands: {
      show: {
        summary: 'the wallet as GET /v1/wallet shows it',
        options: [ORG],
        run: ({ db }, v) => readWalletView(db, String(v.org), new Date()),
      },
      credit: {
        summary:
          'credit a wire transfer finance has seen arrive, once per reference, and tell the wallet workflow',
        options: [
          {
            name: 'wire',
            value: '',
            description: 'the money came by wire (the only credit there is)',
            flag: true,
            required: true,
          },
          ORG,
          {
            name: 'amount-cents',
            value: '<cents>',
            description: 'the amount that arrived, in cents',
            required: true,
            check: wholeNumber(1, MAX_CENTS_PER_OPERATION, 'a positive whole number of cents'),
          },
          {
            name: 'reference',
            value: '<text>',
            description: "the bank's reference of the wire: the same reference is credited once",
            required: true,
          },
          ACTOR,
        ],
        temporal: true,
        async run({ db, wallet, audit }, v) {
          const orgId = String(v.org);
          const client = await wallet();
          const r = await creditWireAudited(db, audit.actor, {
            orgId,
            amountCents: Number(v['amount-cents']),
            reference: String(v.reference),
            at: new Date(),
          });
          // Also for a repeat: the first run may have credited the wire and then failed to reach Temporal.
          await client.nudge(orgId, 'wire');
          return { duplicate: r.duplicate, topUp: topUpView(r.topUp), ...balancesView(r.wallet) };
        },
      },
      fee: {
        summary: "set the org's platform fee on ad spend, in basis points (500 = 5%)",
        options: [
          ORG,
          {
            name: 'bps',
            value: '<bps>',
            description: 'basis points of each bill, 0 to 10000',
            required: true,
            check: wholeNumber(0, 10_000, 'a whole number of basis points'),
          },
          ACTOR,
        ],
        async run({ db, audit }, v) {
          const w = await setPlatformFeeBpsAudited(db, audit, String(v.org), Number(v.bps));
          return { organizationId: w.organizationId, platformFeeBps: w.platformFeeBps };
        },
      },
    },
  },
  dashboard: {
    summary: 'the billing dashboard (served by the API under /dashboard/)',
    commands: {
      link: {
        summary:
          "a one-time sign-in link to an org's dashboard, acting as its newest key with the dashboard scope " +
          '(one is created, never shown, when it has none)',
        options: [
          ORG,
          {
            name: 'url',
            value: '<base url>',
            description: 'where the API is served (default http://127.0.0.1:$PORT, PORT default 3000)',
            check: (raw) =>
              /^https?:\/\/[^\s/]+/.test(raw) ? undefined : `must be an http(s) URL, got "${raw}"`,
          },
          {
            name: 'minutes',
            value: '<minutes>',
            description: 'how long the link stays valid (default 15, at most 10080: a week)',
            check: (raw) =>
              /^[1-9][0-9]*$/.test(raw) && Number(raw) <= 10_080
                ? undefined
                : `must be a whole number of minutes from 1 to 10080, got "${raw}"`,
          },
          ACTOR,
        ],
        async run({ db, audit, env }, v) {
          const orgId = String(v.org);
          const key = await dashboardKeyOf(db, orgId, (id) =>
            createApiKeyAudited(db, audit.actor, id, { scopes: ['dashboard'] }),
          );
          const minutes = v.minutes === undefined ? undefined : Number(v.minutes);
          const link = await createSignInLink(db, key, minutes === undefined ? undefined : minutes * 60_000);
          const base = v.url === undefined ? `http://127.0.0.1:${env.PORT || 3000}` : String(v.url);
          return {
            orgId,
            keyPrefix: key.prefix,
            keyCreated: key.created,
            url: signInUrl(base, link.token),
            expiresAt: link.expiresAt.toISOString(),
          };
        },
      },
    },
  },
  audit: {
    summary: 'the audit trail of money and billing settings',
    commands: {
      verify: {
        summary: "walk every org's audit chain (or one org's); exit 1 naming org and seq where it is broken",
        options: [{ name: 'org', value: '<orgId>', description: 'only this organization' }],
        run: ({ db }, v) => verifyAuditChains(db, { orgId: v.org === undefined ? undefined : String(v.org) }),
        exitCode: (r) => ((r as VerifyResult).ok ? 0 : 1),
      },
      export: {
        summary: "an org's audit events as CSV or JSON Lines (as GET /v1/audit-events), streamed to stdout",
        options: [
          ORG,
          {
            name: 'from',
            value: '<date-time>',
            description: 'events that occurred at or after it',
            check: dateTimeOption,
          },
          {
            name: 'to',
            value: '<date-time>',
            description: 'events that occurred before it',
            check: dateTimeOption,
          },
          { name: 'format', value: '<format>', description: 'default jsonl', choices: EXPORT_FORMATS },
        ],
        printsItself: true,
        run: ({ db, write }, v) =>
          runAuditExport(db, write, {
            orgId: String(v.org),
            from: v.from === undefined ? undefined : String(v.from),
            to: v.to === undefined ? undefined : String(v.to),
            format: v.format === undefined ? 'jsonl' : (String(v.format) as (typeof EXPORT_FORMATS)[number]),
          }),
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

/** A command line a command itself finds wrong once parsed; answered like a UsageError, with its help. */
class UsageLineError extends Error {}

/** A complete answer without running anything (help asked for). */
class HelpRequested extends Error {}

const BIN = 'layers-billing';
const optionUsage = (o: OptionSpec) => {
  const text = o.flag ? `--${o.name}` : `--${o.name} ${o.choices ? o.choices.join('|') : o.value}`;
  return o.required ? text : `[${text}]`;
};
const usageLine = (group: string, name: string, c: Command) =>
  `${BIN} ${group} ${name} ${c.options.map(optionUsage).join(' ')}`;

const ROOT_HELP = `usage: ${BIN} <group> <command> [options]

Administers the billing engine's database directly (DATABASE_URL must be set) and prints one JSON
document on stdout; commands that start or change billing workflows also need TEMPORAL_ADDRESS (and
TEMPORAL_NAMESPACE / TEMPORAL_TASK_QUEUE where they are not the defaults). Exit codes: 0 done,
1 refused (e.g. NOT_FOUND), 2 bad command line or configuration.
\`simulate\` runs on a scratch database of its own instead (\`${BIN} simulate --help\`).

commands:
${Object.entries(GROUPS)
  .flatMap(([g, { commands }]) =>
    Object.entries(commands).map(([n, c]) => `  ${`${g} ${n}`.padEnd(24)}${c.summary}`),
  )
  .join('\n')}
  ${'simulate'.padEnd(24)}${SIMULATE_SUMMARY}

${BIN} <group> --help and ${BIN} <group> <command> --help say more.`;

function groupHelp(group: string): string {
  const { summary, commands } = GROUPS[group]!;
  return `usage: ${BIN} ${group} <command> [options]   (${summary})

commands:
${Object.entries(commands)
  .map(([n, c]) => `  ${n.padEnd(12)}${c.summary}`)
  .join('\n')}

${BIN} ${group} <command> --help lists its options.`;
}

const optionName = (o: OptionSpec) => (o.flag ? `--${o.name}` : `--${o.name} ${o.value}`);

function commandHelp(group: string, name: string, c: Command): string {
  const width = Math.max(...c.options.map((o) => optionName(o).length)) + 2;
  const notes = [
    c.oneOf ? `Give at least one of ${c.oneOf.map((o) => `--${o}`).join(', ')}.` : undefined,
    c.temporal ? 'Needs TEMPORAL_ADDRESS (the billing workflows) besides DATABASE_URL.' : undefined,
  ].filter(Boolean);
  return `usage: ${usageLine(group, name, c)}

${c.summary}.${notes.length ? `\n${notes.join('\n')}` : ''}

options:
${c.options
  .map((o) => {
    const notes = [
      o.required ? 'required' : undefined,
      o.choices ? `one of: ${o.choices.join(', ')}` : undefined,
    ]
      .filter(Boolean)
      .join('; ');
    return `  ${optionName(o).padEnd(width)}${o.description}${notes ? ` (${notes})` : ''}`;
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
  const names = new Set(c.options.filter((o) => !o.flag).map((o) => o.name));
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

function parse(argv: string[]): { command: Command; values: Values; help: string } {
  const [group, first, ...afterFirst] = argv;
  if (group === undefined) throw new UsageError('no command given', ROOT_HELP);
  if (group === 'help' || group === '--help' || group === '-h') throw new HelpRequested(ROOT_HELP);
  const g = GROUPS[group];
  if (!g) throw new UsageError(`unknown command "${group}"`, ROOT_HELP);
  if (first === undefined) throw new UsageError(`${group} needs a command`, groupHelp(group));
  if (first === '--help' || first === '-h') throw new HelpRequested(groupHelp(group));
  // A command may be two words (`credits alerts set`).
  const twoWords = afterFirst[0] === undefined ? undefined : `${first} ${afterFirst[0]}`;
  const [name, rest] =
    g.commands[first] === undefined && twoWords !== undefined && g.commands[twoWords] !== undefined
      ? [twoWords, afterFirst.slice(1)]
      : [first, afterFirst];
  const command = g.commands[name];
  if (!command) throw new UsageError(`unknown command "${group} ${name}"`, groupHelp(group));
  const help = commandHelp(group, name, command);
  if (wantsHelp(rest)) throw new HelpRequested(help);

  let values: Values;
  try {
    values = parseArgs({
      args: attachValues(rest, command),
      options: Object.fromEntries(
        command.options.map((o) => [o.name, { type: o.flag ? ('boolean' as const) : ('string' as const) }]),
      ),
      strict: true,
      allowPositionals: false,
    }).values as Values;
  } catch (err) {
    throw new UsageError((err as Error).message, help);
  }
  const missing = command.options.filter((o) => o.required && !values[o.name]);
  if (missing.length > 0)
    throw new UsageError(`missing ${missing.map((o) => `--${o.name}`).join(', ')}`, help);
  if (command.oneOf && command.oneOf.every((name) => values[name] === undefined)) {
    throw new UsageError(`give at least one of ${command.oneOf.map((o) => `--${o}`).join(', ')}`, help);
  }
  for (const o of command.options) {
    const raw = values[o.name];
    if (typeof raw !== 'string') continue;
    if (o.choices && !o.choices.includes(raw))
      throw new UsageError(`--${o.name} must be one of ${o.choices.join(', ')}; got "${raw}"`, help);
    const problem = o.check?.(raw);
    if (problem) throw new UsageError(`--${o.name} ${problem}`, help);
  }
  return { command, values, help };
}

export interface TemporalConnection {
  client: Client;
  close(): Promise<void>;
}

export interface CliIo {
  stdout: (text: string) => void;
  /**
   * The process's stdout as a stream, for output too large to hand over as one string (the audit
   * export): written with back-pressure. Without it, such output goes through `stdout` chunk by chunk.
   */
  stdoutStream?: NodeJS.WritableStream;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Opens the database; the CLI closes it when the command is done. */
  openDb: (url: string) => Db;
  /** Connects to Temporal, for the commands that need it; the CLI closes it when the command is done. */
  connectTemporal: (opts: {
    address: string;
    namespace: string;
    timeoutMs: number;
  }) => Promise<TemporalConnection>;
}

/** Runs one command line; returns the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  // Not a group: it makes its own scratch database rather than administering DATABASE_URL's.
  if (argv[0] === 'simulate') return runSimulateCommand(argv.slice(1), io);
  let db: Db | undefined;
  let temporal: Promise<TemporalConnection> | undefined;
  let help = ROOT_HELP;
  try {
    const parsed = parse(argv);
    help = parsed.help;
    const url = io.env.DATABASE_URL;
    if (!url) {
      io.stderr(`${BIN}: DATABASE_URL is not set: point it at the billing database (postgres://…)\n`);
      return 2;
    }
    db = io.openDb(url);
    const engine = async () => {
      const config = loadConfig(io.env);
      if (!config.temporalAddress) {
        throw new ConfigError(
          'TEMPORAL_ADDRESS is not set: this command starts or changes billing workflows (host:port)',
        );
      }
      const address = config.temporalAddress;
      temporal ??= io.connectTemporal({
        address,
        namespace: config.temporalNamespace,
        timeoutMs: config.engineTimeoutMs,
      });
      const { client } = await temporal;
      return { client, taskQueue: config.taskQueue, engineTimeoutMs: config.engineTimeoutMs };
    };
    const billing = async (): Promise<BillingClient> => createBillingClient(await engine());
    const wallet = async (): Promise<WalletClient> => createWalletClient(await engine());
    const audit: AuditedBy = {
      actor: adminActor(parsed.values.actor as string | undefined, io.env),
      key: `cli:${randomUUID()}`,
    };
    const write = async (chunks: AsyncIterable<string | Buffer>) => {
      if (io.stdoutStream) return pipeline(chunks, io.stdoutStream, { end: false });
      for await (const chunk of chunks) io.stdout(chunk.toString());
    };
    const result = await parsed.command.run(
      { db, billing, wallet, audit, write, env: io.env },
      parsed.values,
    );
    if (parsed.command.printsItself) return 0;
    io.stdout(`${JSON.stringify(result)}\n`);
    return parsed.command.exitCode?.(result) ?? 0;
  } catch (err) {
    if (err instanceof HelpRequested) {
      io.stdout(`${err.message}\n`);
      return 0;
    }
    if (err instanceof UsageError) {
      io.stderr(`${BIN}: ${err.message}\n\n${err.help}\n`);
      return 2;
    }
    if (err instanceof UsageLineError) {
      io.stderr(`${BIN}: ${err.message}\n\n${help}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.stderr(`${BIN}: ${err.message}\n`);
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
    await temporal?.then((t) => t.close()).catch(() => undefined);
  }
}
