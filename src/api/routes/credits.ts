import { Type } from 'typebox';
import { listCreditEntries } from '../../credits/history';
import type { Db } from '../../db/pool';
import { creditsOf, identityOf } from '../auth';
import { ledgerPageBody, ledgerPageOptions } from '../ledger-page';
import { defineRoute, type ApiRoute } from '../route';
import { closed, creditsSnapshotSchema, ENTRY_LIMIT_DEFAULT, int } from '../schemas';
import { creditUsageSchema, historyPageSchema, historyQuery } from './credits.schemas';
import { creditUsageThisPeriod } from '../../credits/period-usage';

export const whoamiSchema = closed({
  organization: closed({ id: Type.String(), name: Type.String() }),
  key: closed({ prefix: Type.String() }),
  tier: Type.String(),
  creditBalance: int(),
});

/**
 * The snapshot and whoami answer from what their auth hook read with the key: one round trip per
 * request. The history reads the ledger.
 */
export function creditRoutes({ db, clock = () => new Date() }: { db: Db; clock?: () => Date }): ApiRoute[] {
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
    defineRoute({
      method: 'GET',
      url: '/v1/credits/history',
      operationId: 'listCreditHistory',
      summary:
        'The billing history: the credit ledger newest first, each row with its business key, what it ' +
        'moved (credits: the balance, signed; reservedDelta: holds) and the balance and holds after it ' +
        'in the whole ledger, filtered or not; filters by project, generation, entry type and ' +
        'effectiveAt in [from, to). Pass nextCursor back as cursor for the next page.',
      tag: 'credits',
      auth: true,
      schema: { querystring: historyQuery, response: { 200: historyPageSchema } },
      errors: [],
      handler: async (request) => {
        const { orgId } = identityOf(request);
        const page = await listCreditEntries(
          db,
          orgId,
          ledgerPageOptions(request.query, ENTRY_LIMIT_DEFAULT),
        );
        return ledgerPageBody(page);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/credits/usage',
      operationId: 'getCreditUsage',
      summary:
        'What the current credit period’s generations were charged, in credits at their full actual cost ' +
        '(totalCredits = usedThisPeriod of GET /v1/credits): per local day (every day of the period so ' +
        'far, 0 for none; days in the wallet’s time zone, else UTC, named in timeZone) and per project.',
      tag: 'credits',
      auth: true,
      // Closed: a filter this route does not have is refused, not silently ignored.
      schema: { querystring: closed({}), response: { 200: creditUsageSchema } },
      errors: ['NOT_FOUND'],
      handler: async (request) => creditUsageThisPeriod(db, identityOf(request).orgId, clock()),
    }),
  ];
}
