import type { Db } from '../db/pool';
import { notFound } from '../errors';
import { exportStream, openAuditExport, type ExportFormat } from './export';

/**
 * `layers-billing audit export`: what GET /v1/audit-events serves, for any org, written as it is read.
 * from/to are RFC 3339 date-times the command line already checked.
 */
export async function runAuditExport(
  db: Db,
  write: (chunks: AsyncIterable<string | Buffer>) => Promise<void>,
  opts: { orgId: string; from?: string; to?: string; format: ExportFormat },
): Promise<void> {
  const org = await db
    .selectFrom('organizations')
    .select('id')
    .where('id', '=', opts.orgId)
    .executeTakeFirst();
  if (!org) throw notFound('organization', opts.orgId);
  const pages = await openAuditExport(db, opts.orgId, {
    from: opts.from === undefined ? undefined : new Date(opts.from.toUpperCase()),
    to: opts.to === undefined ? undefined : new Date(opts.to.toUpperCase()),
  });
  await write(exportStream(pages, opts.format));
}
