import type { Client } from '@temporalio/client';
import { Type, type Static } from 'typebox';
import { CREDIT_PACKS } from '../../credit-packs/catalog';
import { buyCreditPack } from '../../credit-packs/client';
import {
  getCreditPackPurchase,
  type CreditPackPurchaseResult,
  type PurchaseView,
} from '../../credit-packs/purchases';
import { packPricesFor, type OrgPackPrice } from '../../credit-packs/prices';
import { PURCHASE_STATUSES } from '../../credit-packs/statuses';
import { ID_MAX_LENGTH } from '../../credits/amounts';
import type { Db } from '../../db/pool';
import { buyCreditPackAudited } from '../../audit/credit-packs';
import { requestActor } from '../audit-context';
import { identityOf } from '../auth';
import { defineRoute, type ApiRoute } from '../route';
import {
  closed,
  creditsSnapshotSchema,
  dateTime,
  idempotencyHeaders,
  int,
  nullable,
  nullableDateTime,
  oneOf,
  text,
  type Assignable,
} from '../schemas';

export const creditPackBody = closed({ packId: oneOf(CREDIT_PACKS.map((p) => p.id)) });
export const creditPackParams = closed({ id: text(ID_MAX_LENGTH) });

const priceFields = {
  packId: Type.String(),
  amountCents: int(),
  listPriceCents: int(),
  discountBps: int(),
};

export const creditPackPurchaseSchema = closed({
  purchaseId: Type.String(),
  ...priceFields,
  status: oneOf(['succeeded']),
  creditsGranted: int(1),
  paymentIntentId: Type.String(),
  credits: creditsSnapshotSchema,
});

export const creditPackViewSchema = closed({
  purchaseId: Type.String(),
  ...priceFields,
  credits: int(1),
  status: oneOf(PURCHASE_STATUSES),
  paymentIntentId: nullable('string'),
  declineCode: nullable('string'),
  createdAt: dateTime(),
  settledAt: nullableDateTime(),
});

/** GET /v1/credit-packs: the catalog at the calling org's price, the fields a purchase answers with. */
export const creditPackCatalogSchema = closed({
  data: Type.Array(
    closed({
      ...priceFields,
      credits: int(1),
      discountCents: int(),
    }),
  ),
});

type _PackSchemaFitsDomain = Assignable<Static<typeof creditPackCatalogSchema>['data'][number], OrgPackPrice>;
type _PackDomainFitsSchema = Assignable<OrgPackPrice, Static<typeof creditPackCatalogSchema>['data'][number]>;
type _PurchaseSchemaFitsDomain = Assignable<
  Static<typeof creditPackPurchaseSchema>,
  CreditPackPurchaseResult
>;
type _PurchaseDomainFitsSchema = Assignable<
  CreditPackPurchaseResult,
  Static<typeof creditPackPurchaseSchema>
>;
type _ViewSchemaFitsDomain = Assignable<Static<typeof creditPackViewSchema>, PurchaseView>;
type _ViewDomainFitsSchema = Assignable<PurchaseView, Static<typeof creditPackViewSchema>>;

export interface CreditPackRouteDeps {
  db: Db;
  temporalClient: Client;
  taskQueue: string;
}

/** Credit packs: charged through Stripe, granted in the ledger. */
export function creditPackRoutes(deps: CreditPackRouteDeps): ApiRoute[] {
  const purchaseDeps = { db: deps.db, client: deps.temporalClient, taskQueue: deps.taskQueue };
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/credit-packs',
      operationId: 'buyCreditPack',
      summary:
        `Buys a prepaid credit pack (${CREDIT_PACKS.map((p) => p.id).join(', ')}) with the org's default card. ` +
        'Requires Idempotency-Key: a repeat answers with the same purchase and never charges twice.',
      tag: 'credits',
      auth: true,
      schema: {
        headers: idempotencyHeaders,
        body: creditPackBody,
        response: { 201: creditPackPurchaseSchema },
      },
      errors: ['PAYMENT_DECLINED', 'IDEMPOTENCY_KEY_REUSED', 'NOT_FOUND'],
      handler: async (request, reply) => {
        const { orgId } = identityOf(request);
        const idempotencyKey = request.headers['idempotency-key'];
        const { result, replayed } = await buyCreditPackAudited(
          deps.db,
          requestActor(request),
          orgId,
          idempotencyKey,
          () => buyCreditPack(purchaseDeps, { orgId, packId: request.body.packId, idempotencyKey }),
        );
        if (replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(201).send(result);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/credit-packs',
      operationId: 'listCreditPacks',
      summary:
        'The credit packs on sale, each at the price POST /v1/credit-packs charges the calling org now: ' +
        "the list price less its tier's pack discount (discountBps), rounded down to the cent.",
      tag: 'credits',
      auth: true,
      // Closed: a parameter this route does not have is refused, not silently ignored.
      schema: { querystring: closed({}), response: { 200: creditPackCatalogSchema } },
      errors: ['NOT_FOUND'],
      handler: async (request) => ({ data: await packPricesFor(deps.db, identityOf(request).orgId) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/credit-packs/:id',
      operationId: 'getCreditPackPurchase',
      summary: 'One credit-pack purchase of the calling org: price, status, decline code.',
      tag: 'credits',
      auth: true,
      schema: { params: creditPackParams, response: { 200: creditPackViewSchema } },
      errors: ['NOT_FOUND'],
      handler: async (request) =>
        getCreditPackPurchase(deps.db, identityOf(request).orgId, request.params.id),
    }),
  ];
}
