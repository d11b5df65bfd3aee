import { EXPORT_CONTENT_TYPES, exportStream, openAuditExport } from '../../audit/export';
import type { Db } from '../../db/pool';
import { identityOf } from '../auth';
import { parseDateTime } from '../date-time';
import { defineRoute, type ApiRoute } from '../route';
import { auditExportQuery, auditExportSchema } from './audit.schemas';

/**
 * The calling org's audit trail (src/audit/): every action that changed its money or billing settings,
 * who did it, before and after, each row chained to the one before it by its hash. Exported whole or by
 * time, streamed.
 */
export function auditRoutes({ db }: { db: Db }): ApiRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/audit-events',
      operationId: 'exportAuditEvents',
      summary:
        'Exports the calling org’s audit events in chain order (seq), those with occurredAt in [from, to) ' +
        'when given (none when from is not before to), as CSV or JSON Lines (format, default jsonl), ' +
        'streamed. Each event carries the hash of its content and of the event before it (SHA-256 over ' +
        'RFC 8785 canonical JSON), so the chain can be checked from the export alone.',
      tag: 'audit',
      auth: true,
      schema: { querystring: auditExportQuery, response: { 200: auditExportSchema } },
      produces: [EXPORT_CONTENT_TYPES.csv, EXPORT_CONTENT_TYPES.jsonl].map((t) => t.split(';')[0]!),
      errors: [],
      handler: async (request, reply) => {
        const { orgId } = identityOf(request);
        // Ajv fills in the schema's default before the handler runs; the type cannot know it.
        const { from, to, format = 'jsonl' } = request.query;
        const pages = await openAuditExport(db, orgId, {
          from: from === undefined ? undefined : parseDateTime(from),
          to: to === undefined ? undefined : parseDateTime(to),
        });
        return reply
          .code(200)
          .header('content-type', EXPORT_CONTENT_TYPES[format])
          .header('content-disposition', `attachment; filename="audit-events-${orgId}.${format}"`)
          .send(exportStream(pages, format));
      },
    }),
  ];
}
