import { Type } from 'typebox';
import { EXPORT_FORMATS } from '../../audit/export';
import { closed, dateTime } from '../schemas';

// ---- requests ----

export const auditExportQuery = closed({
  from: Type.Optional(dateTime()),
  to: Type.Optional(dateTime()),
  format: Type.Optional(Type.Enum([...EXPORT_FORMATS], { type: 'string', default: 'jsonl' })),
});

// ---- responses ----

/** The export's bytes: CSV with a header row, or one JSON object per line. */
export const auditExportSchema = Type.String({
  description:
    'csv: a header row (org_id, seq, occurred_at, actor_type, actor_id, action, key, before, after, ' +
    'prev_hash, hash; before and after as JSON text, empty for none), then one row per event. jsonl: one ' +
    'object per line {orgId, seq, occurredAt, actor: {type, id}, action, key, before, after, prevHash, hash}.',
});
