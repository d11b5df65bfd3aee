import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time: never import application code here, never edit after it has shipped.
 *
 * The ledger side of billing periods (issue 9): rolled-over credits as grants that expire, the summary
 * of each closed credit period, and the credits that expired while running generations held them.
 *
 * - credit_grants: unused included credits carried into the next period by a close, each grant with its
 *   own expiry. credit_balances.rolled_over_remaining is their sum, rollover_expires_at their earliest
 *   expiry (kept on the balance row so GET /v1/credits stays a one-row read).
 * - pending_expiry: credits whose expiry came while generations held them. They stay in the balance,
 *   so a hold is never taken and the CHECK below holds, and they expire when the hold that kept them
 *   ends without using them. Always held: pending_expiry <= reserved_credits.
 * - *_this_period counters for the period summary (credit_periods), reset by each close; every balance
 *   column has its ledger delta column, as before, so reconciliation replays them.
 * - effective_at: the business time of the rows that have one (never now()); detail: what the row did,
 *   in the terms of its operation, and the arguments a repeat with the same key must match.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- What a period close may carry over: the catalog (src/db/seed/catalog.ts) writes it from now on.
    -- The rule it ships with, so a database migrated to here already holds the catalog's values: paid
    -- tiers roll over at most one allowance, tiers without rollover days nothing.
    ALTER TABLE tiers ADD COLUMN rollover_cap bigint NOT NULL DEFAULT 0 CHECK (rollover_cap >= 0);
    UPDATE tiers SET rollover_cap = included_credits_per_period WHERE rollover_days > 0;

    ALTER TABLE credit_balances
      ADD COLUMN rolled_over_remaining bigint NOT NULL DEFAULT 0 CHECK (rolled_over_remaining >= 0),
      ADD COLUMN rollover_expires_at timestamptz,
      ADD COLUMN pending_expiry bigint NOT NULL DEFAULT 0 CHECK (pending_expiry >= 0),
      ADD COLUMN rolled_over_in_this_period bigint NOT NULL DEFAULT 0 CHECK (rolled_over_in_this_period >= 0),
      ADD COLUMN rollover_expired_this_period bigint NOT NULL DEFAULT 0 CHECK (rollover_expired_this_period >= 0),
      ADD COLUMN expired_this_period bigint NOT NULL DEFAULT 0 CHECK (expired_this_period >= 0),
      -- Guarantee 2 over every bucket the balance now has (was: reserved <= included + prepaid).
      DROP CONSTRAINT credit_balances_check1,
      ADD CONSTRAINT credit_balances_holds_within_balance
        CHECK (reserved_credits <= included_remaining + rolled_over_remaining + pending_expiry + prepaid_balance),
      ADD CONSTRAINT credit_balances_pending_expiry_is_held CHECK (pending_expiry <= reserved_credits),
      ADD CONSTRAINT credit_balances_rollover_expiry_known
        CHECK ((rolled_over_remaining = 0) = (rollover_expires_at IS NULL));

    ALTER TABLE credit_ledger
      ADD COLUMN rolled_over_delta bigint NOT NULL DEFAULT 0,
      ADD COLUMN pending_expiry_delta bigint NOT NULL DEFAULT 0,
      ADD COLUMN rolled_over_in_delta bigint NOT NULL DEFAULT 0,
      ADD COLUMN rollover_expired_delta bigint NOT NULL DEFAULT 0,
      ADD COLUMN expired_delta bigint NOT NULL DEFAULT 0,
      ADD COLUMN effective_at timestamptz,
      ADD COLUMN detail jsonb,
      DROP CONSTRAINT credit_ledger_entry_type_check,
      ADD CONSTRAINT credit_ledger_entry_type_check CHECK (entry_type IN ('grant_included', 'grant_prepaid',
        'reserve', 'capture', 'release', 'expire', 'period_close', 'expire_rollover', 'expire_pending',
        'allowance_change', 'revoke_included'));

    -- Written and spent only under the org's credit_balances row lock, like every balance column.
    CREATE TABLE credit_grants (
      id bigserial PRIMARY KEY,
      org_id text NOT NULL REFERENCES organizations(id),
      -- The key of the ledger row that created it (a period close: one grant per close at most).
      idempotency_key text NOT NULL,
      granted bigint NOT NULL CHECK (granted > 0),
      remaining bigint NOT NULL CHECK (remaining >= 0 AND remaining <= granted),
      granted_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL CHECK (expires_at > granted_at),
      -- Set when its expiry was applied: what it still had then (some of it may have gone to pending_expiry).
      expired_at timestamptz,
      expired_credits bigint CHECK (expired_credits >= 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (org_id, idempotency_key),
      CHECK ((expired_at IS NULL) = (expired_credits IS NULL)),
      CHECK (expired_at IS NULL OR remaining = 0)
    );
    CREATE INDEX credit_grants_live ON credit_grants (org_id, expires_at, id) WHERE remaining > 0;

    -- One row per closed credit period, written by the close in the same transaction as its ledger row
    -- (same key). The counters are the balance's *_this_period at the close, after the close's own
    -- expiries; the arguments of the close are kept so that a repeat with other ones is refused.
    CREATE TABLE credit_periods (
      org_id text NOT NULL REFERENCES organizations(id),
      period_start timestamptz NOT NULL,
      period_end timestamptz NOT NULL CHECK (period_end > period_start),
      tier_id text NOT NULL,
      included_granted bigint NOT NULL CHECK (included_granted >= 0),
      used bigint NOT NULL CHECK (used >= 0),
      overage bigint NOT NULL CHECK (overage >= 0),
      written_off bigint NOT NULL CHECK (written_off >= 0),
      rolled_over_in bigint NOT NULL CHECK (rolled_over_in >= 0),
      rollover_expired bigint NOT NULL CHECK (rollover_expired >= 0),
      expired bigint NOT NULL CHECK (expired >= 0),
      rolled_over_out bigint NOT NULL CHECK (rolled_over_out >= 0),
      held_at_close bigint NOT NULL CHECK (held_at_close >= 0),
      next_period_end timestamptz NOT NULL CHECK (next_period_end > period_end),
      next_allowance bigint NOT NULL CHECK (next_allowance >= 0),
      rollover_days integer NOT NULL CHECK (rollover_days >= 0),
      rollover_cap bigint NOT NULL CHECK (rollover_cap >= 0),
      idempotency_key text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (org_id, period_start),
      UNIQUE (org_id, idempotency_key)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS credit_periods, credit_grants;
    ALTER TABLE credit_ledger
      DROP CONSTRAINT credit_ledger_entry_type_check,
      ADD CONSTRAINT credit_ledger_entry_type_check
        CHECK (entry_type IN ('grant_included', 'grant_prepaid', 'reserve', 'capture', 'release', 'expire')),
      DROP COLUMN rolled_over_delta, DROP COLUMN pending_expiry_delta, DROP COLUMN rolled_over_in_delta,
      DROP COLUMN rollover_expired_delta, DROP COLUMN expired_delta, DROP COLUMN effective_at, DROP COLUMN detail;
    ALTER TABLE credit_balances
      DROP CONSTRAINT credit_balances_holds_within_balance,
      DROP CONSTRAINT credit_balances_pending_expiry_is_held,
      DROP CONSTRAINT credit_balances_rollover_expiry_known,
      DROP COLUMN rolled_over_remaining, DROP COLUMN rollover_expires_at, DROP COLUMN pending_expiry,
      DROP COLUMN rolled_over_in_this_period, DROP COLUMN rollover_expired_this_period,
      DROP COLUMN expired_this_period,
      ADD CONSTRAINT credit_balances_check1 CHECK (reserved_credits <= included_remaining + prepaid_balance);
    ALTER TABLE tiers DROP COLUMN rollover_cap;
  `.execute(db);
}
