import type { Db } from '../../db/pool';
import { listProjects } from '../../orgs/projects';
import { identityOf } from '../auth';
import { defineRoute, type ApiRoute } from '../route';
import { closed } from '../schemas';
import { projectListSchema } from './projects.schemas';

/** The org's projects: the names behind the projectId of histories, transactions and usage. */
export function projectRoutes({ db }: { db: Db }): ApiRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/projects',
      operationId: 'listProjects',
      summary:
        "The calling org's projects, oldest first (the default project leads), all in one answer: the " +
        'names of the projectId the credit history, wallet transactions and usage carry.',
      tag: 'projects',
      auth: true,
      // Closed: a parameter this route does not have is refused, not silently ignored.
      schema: { querystring: closed({}), response: { 200: projectListSchema } },
      errors: [],
      handler: async (request) => ({ data: await listProjects(db, identityOf(request).orgId) }),
    }),
  ];
}
