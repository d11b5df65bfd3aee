import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time: never import application code here, never edit after it has shipped.
 *
 * Invoices and credit notes, as issued documents:
 * - invoice_numbers: the one counter of the one sequence (`LB-<year>-<000042>`). A number is taken by
 *   an UPDATE of this row in the transaction that inserts the invoice, so a rolled-back issue gives its
 *   number back and concurrent issues queue on the row: the numbers have no gaps.
 * - invoices: the document exactly as issued (jsonb), never updated or deleted (a trigger refuses it);
 *   a correction is a credit note, a row of its own naming the invoice it corrects. business_key makes
 *   issuing a period's invoice idempotent: a retried activity finds the invoice it already issued.
 * - billing_charges.kind gains 'invoice': the collection of what an invoice itself charges (overage and
 *   usage over allowance), one PaymentIntent keyed by the invoice number, dunned like a renewal.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE invoice_numbers (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      last_sequence bigint NOT NULL CHECK (last_sequence >= 0)
    );
    INSERT INTO invoice_numbers (id, last_sequence) VALUES (true, 0);

    CREATE TABLE invoices (
      number text PRIMARY KEY,
      sequence bigint NOT NULL UNIQUE CHECK (sequence > 0),
      org_id text NOT NULL REFERENCES organizations(id),
      kind text NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
      corrects_number text REFERENCES invoices(number),
      business_key text NOT NULL UNIQUE,
      period_start timestamptz NOT NULL,
      period_end timestamptz NOT NULL CHECK (period_end > period_start),
      total_cents bigint NOT NULL,
      -- What this invoice itself collects through Stripe (lines no other charge covers); 0 if nothing.
      due_cents bigint NOT NULL CHECK (due_cents >= 0),
      document jsonb NOT NULL,
      -- The last wallet ledger row the invoice took platform bills from (null without a wallet): a bill
      -- recorded later, even one that occurred in this period, goes on the next invoice.
      wallet_ledger_through bigint,
      issued_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((kind = 'credit_note') = (corrects_number IS NOT NULL))
    );
    CREATE INDEX invoices_org ON invoices (org_id, period_start DESC, sequence DESC);

    CREATE FUNCTION invoices_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'an issued invoice is immutable (% refused): issue a credit note', TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER invoices_no_update_delete BEFORE UPDATE OR DELETE ON invoices
      FOR EACH ROW EXECUTE FUNCTION invoices_are_immutable();
    CREATE TRIGGER invoices_no_truncate BEFORE TRUNCATE ON invoices
      FOR EACH STATEMENT EXECUTE FUNCTION invoices_are_immutable();

    ALTER TABLE billing_charges
      DROP CONSTRAINT billing_charges_kind_check,
      ADD CONSTRAINT billing_charges_kind_check
        CHECK (kind IN ('renewal', 'overage', 'upgrade', 'refund', 'invoice'));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE billing_charges
      DROP CONSTRAINT billing_charges_kind_check,
      ADD CONSTRAINT billing_charges_kind_check CHECK (kind IN ('renewal', 'overage', 'upgrade', 'refund'));
    DROP TABLE IF EXISTS invoices;
    DROP FUNCTION IF EXISTS invoices_are_immutable();
    DROP TABLE IF EXISTS invoice_numbers;
  `.execute(db);
}
