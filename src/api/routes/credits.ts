import { getCreditsSnapshot } from '../../credits/ledger';
import type { Db } from '../../db/pool';
import { identityOf } from '../auth';
import type { ApiRoute } from '../route';
import { creditsSnapshotSchema, whoamiSchema } from '../schemas';

export function creditRoutes(deps: { db: Db }): ApiRoute[] {
  const { db } = deps;
  return [
    {
      method: 'GET',
      url: '/v1/credits',
      operationId: 'getCredits',
      summary: "The calling org's credit snapshot: balance, period usage, per-format estimates.",
      tag: 'credits',
      auth: true,
      schema: { response: { 200: creditsSnapshotSchema } },
      errors: [],
      handler: async (request) => getCreditsSnapshot(db, identityOf(request).orgId),
    },
    {
      method: 'GET',
      url: '/v1/whoami',
      operationId: 'whoami',
      summary: 'The org and key a request authenticates as, with creditBalance (= /v1/credits balance).',
      tag: 'credits',
      auth: true,
      schema: { response: { 200: whoamiSchema } },
      errors: [],
      handler: async (request) => {
        const identity = identityOf(request);
        const credits = await getCreditsSnapshot(db, identity.orgId);
        return {
          organization: { id: identity.orgId, name: identity.orgName },
          key: { prefix: identity.prefix },
          tier: credits.subscriptionTier,
          creditBalance: credits.balance,
        };
      },
    },
  ];
}
