import { Type } from 'typebox';
import { creditsOf, identityOf } from '../auth';
import { defineRoute, type ApiRoute } from '../route';
import { closed, creditsSnapshotSchema, int } from '../schemas';

export const whoamiSchema = closed({
  organization: closed({ id: Type.String(), name: Type.String() }),
  key: closed({ prefix: Type.String() }),
  tier: Type.String(),
  creditBalance: int(),
});

/** Both routes answer from what their auth hook read with the key: one round trip per request. */
export function creditRoutes(): ApiRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/credits',
      operationId: 'getCredits',
      summary: "The calling org's credit snapshot: balance, period usage, per-format estimates.",
      tag: 'credits',
      auth: 'with-credits',
      schema: { response: { 200: creditsSnapshotSchema } },
      errors: [],
      handler: async (request) => creditsOf(request),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/whoami',
      operationId: 'whoami',
      summary: 'The org and key a request authenticates as, with creditBalance (= /v1/credits balance).',
      tag: 'credits',
      auth: 'with-credits',
      schema: { response: { 200: whoamiSchema } },
      errors: [],
      handler: async (request) => {
        const identity = identityOf(request);
        const credits = creditsOf(request);
        return {
          organization: { id: identity.orgId, name: identity.orgName },
          key: { prefix: identity.prefix },
          tier: credits.subscriptionTier,
          creditBalance: credits.balance,
        };
      },
    }),
  ];
}
