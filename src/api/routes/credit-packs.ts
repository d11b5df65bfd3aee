import type { Client } from '@temporalio/client';
import { CREDIT_PACKS } from '../../credit-packs/catalog';
import type { Db } from '../../db/pool';
import { buyCreditPack } from '../../credit-packs/client';
import { getCreditPackPurchase } from '../../credit-packs/purchases';
import { identityOf } from '../auth';
import type { ApiRoute } from '../route';
import {
  creditPackPurchaseSchema,
  creditPackBody,
  creditPackParams,
  creditPackViewSchema,
  idempotencyHeaders,
} from '../schemas';

export interface CreditPackRouteDeps {
  db: Db;
  temporalClient: Client;
  taskQueue: string;
}

/** Credit packs: charged through Stripe, granted in the ledger. */
export function creditPackRoutes(deps: CreditPackRouteDeps): ApiRoute[] {
  const purchaseDeps = { db: deps.db, client: deps.temporalClient, taskQueue: deps.taskQueue };
  return [
    {
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
        const { packId } = request.body as { packId: string };
        const idempotencyKey = (request.headers as Record<string, string>)['idempotency-key']!;
        const { result, replayed } = await buyCreditPack(purchaseDeps, {
          orgId: identityOf(request).orgId,
          packId,
          idempotencyKey,
        });
        if (replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(201).send(result);
      },
    },
    {
      method: 'GET',
      url: '/v1/credit-packs/:id',
      operationId: 'getCreditPackPurchase',
      summary: 'One credit-pack purchase of the calling org: price, status, decline code.',
      tag: 'credits',
      auth: true,
      schema: { params: creditPackParams, response: { 200: creditPackViewSchema } },
      errors: ['NOT_FOUND'],
      handler: async (request) =>
        getCreditPackPurchase(deps.db, identityOf(request).orgId, (request.params as { id: string }).id),
    },
  ];
}
