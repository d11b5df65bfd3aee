import type { ColumnType, Selectable } from 'kysely';
import type { DocumentKind, Invoice } from './document';

/**
 * The invoices' tables (migration 0011), owned by this domain; src/db/schema.ts's Database gathers them.
 * int8 columns are exact JS numbers (src/db/pool.ts).
 */
type Int8 = number;

export interface InvoiceNumbersTable {
  id: boolean;
  last_sequence: Int8;
}

export interface InvoicesTable {
  number: string;
  sequence: Int8;
  org_id: string;
  kind: DocumentKind;
  corrects_number: string | null;
  business_key: string;
  period_start: Date;
  period_end: Date;
  total_cents: Int8;
  due_cents: Int8;
  /** The document as issued: written as a JSON string, read back parsed. */
  document: ColumnType<Invoice, string, never>;
  wallet_ledger_through: Int8 | null;
  issued_at: Date;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface InvoicesDatabase {
  invoice_numbers: InvoiceNumbersTable;
  invoices: InvoicesTable;
}

export type InvoiceRow = Selectable<InvoicesTable>;
