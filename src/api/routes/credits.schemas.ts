import { Type, type Static } from 'typebox';
import { ID_MAX_LENGTH } from '../../credits/amounts';
import { LEDGER_ENTRY_TYPES } from '../../credits/entry-types';
import type { CreditEntry } from '../../credits/history';
import type { CreditUsage } from '../../credits/period-usage';
import {
  cursorPage,
  anyObject,
  closed,
  dateTime,
  day,
  int,
  ledgerPageQuery,
  nullable,
  oneOf,
  text,
  type Assignable,
} from '../schemas';

/** The schemas of GET /v1/credits/history (src/api/routes/credits.ts); the wallet's statement is its twin. */

export const historyQuery = closed({
  projectId: Type.Optional(text(ID_MAX_LENGTH)),
  generationId: Type.Optional(text(ID_MAX_LENGTH)),
  entryType: Type.Optional(oneOf(LEDGER_ENTRY_TYPES)),
  from: Type.Optional(dateTime()),
  to: Type.Optional(dateTime()),
  ...ledgerPageQuery,
});

const signed = () => Type.Integer();

const entrySchema = closed({
  id: int(1),
  entryType: oneOf(LEDGER_ENTRY_TYPES),
  key: Type.String(),
  credits: signed(),
  reservedDelta: signed(),
  balanceAfter: int(),
  reservedAfter: int(),
  usedDelta: signed(),
  overageDelta: signed(),
  projectId: nullable('string'),
  generationId: nullable('string'),
  reason: nullable('string'),
  effectiveAt: dateTime(),
  recordedAt: dateTime(),
  detail: Type.Union([anyObject(), Type.Null()]),
});

export const historyPageSchema = cursorPage(entrySchema);

// The response is serialized through its closed schema, which would drop a field the domain gains
// without a word: tsc holds the two together, both ways.
type _EntrySchemaFitsDomain = Assignable<Static<typeof entrySchema>, CreditEntry>;
type _EntryDomainFitsSchema = Assignable<CreditEntry, Static<typeof entrySchema>>;

// ---- GET /v1/credits/usage ----

export const creditUsageSchema = closed({
  periodStart: dateTime(),
  periodEnd: dateTime(),
  timeZone: Type.String({ description: "The zone of byDay's days: the wallet's, else UTC." }),
  totalCredits: int(),
  byDay: Type.Array(closed({ date: day(), credits: int() })),
  byProject: Type.Array(closed({ projectId: Type.String(), projectName: Type.String(), credits: int() })),
});

type _UsageSchemaFitsDomain = Assignable<Static<typeof creditUsageSchema>, CreditUsage>;
type _UsageDomainFitsSchema = Assignable<CreditUsage, Static<typeof creditUsageSchema>>;
