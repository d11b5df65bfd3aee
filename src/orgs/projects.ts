import { CompiledQuery } from 'kysely';
import { preparedStatement, type Db } from '../db/pool';
import { notFound } from '../errors';

/** Owned (org, project) pairs remembered per checker; past it the oldest are forgotten first. */
export const PROJECT_OWNERS_REMEMBERED = 10_000;

const OWNED = preparedStatement('SELECT 1 FROM projects WHERE id = $1 AND org_id = $2');

/**
 * Whether a project belongs to an org, remembered once seen: a project is never deleted and never moves
 * to another org (nothing updates or deletes `projects`), so an ownership once read stays true, and
 * every later generation of that project skips the round trip. A missing project is not remembered: it
 * may be created the next moment. The ledger checks ownership again inside the reservation
 * (`project_not_found`); this check only spares a foreign project a workflow.
 */
export function projectOwnerCheck(db: Db): (orgId: string, projectId: string) => Promise<void> {
  const owned = new Set<string>();
  return async (orgId, projectId) => {
    const pair = `${orgId}\u0000${projectId}`;
    if (owned.has(pair)) return;
    const { rows } = await db.executeQuery(CompiledQuery.raw(OWNED, [projectId, orgId]));
    if (rows.length === 0) throw notFound('project', projectId);
    if (owned.size >= PROJECT_OWNERS_REMEMBERED) owned.delete(owned.values().next().value!);
    owned.add(pair);
  };
}

/** A project as GET /v1/projects lists it: what the ids in histories and transactions are called. */
export interface ProjectView {
  id: string;
  name: string;
  createdAt: string;
}

/**
 * Every project of the org, oldest first (its default project leads). Not paged: a reader maps ids to
 * names, which needs them all, and an org has few (every tier but Team caps them, src/billing/limits.ts).
 */
export async function listProjects(db: Db, orgId: string): Promise<ProjectView[]> {
  const rows = await db
    .selectFrom('projects')
    .select(['id', 'name', 'created_at'])
    .where('org_id', '=', orgId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at.toISOString() }));
}
