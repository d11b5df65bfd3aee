import type { Client } from '@temporalio/client';
import { CREDIT_PACKS } from '../../credits/packs';
import type { Db } from '../../db/pool';
import { buyCreditPack } from '../../payments/client';
import { getCreditPackPurchase } from '../../payments/purchases';
import { handleStripeWebhook } from '../../payments/webhooks';
import { identityOf } from '../auth';
import { noteFailure } from '../request-log';
import type { ApiRoute } from '../route';
import {
  creditPackPurchaseSchema,
  creditPackBody,
  creditPackParams,
  creditPackViewSchema,
  idempotencyHeaders,
  stripeEventSchema,
  stripeSignatureHeaders,
  webhookAckSchema,
} from '../schemas';

export interface PaymentRouteDeps {
  db: Db;
  temporalClient: Client;
  taskQueue: string;
  /** The Stripe endpoint's signing secret; without it every delivery is refused (500), never trusted. */
  webhookSecret?: string;
}

/** Credit packs (charged through Stripe, granted in the ledger) and the Stripe webhook endpoint. */
export function paymentRoutes(deps: PaymentRouteDeps): ApiRoute[] {
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
    {
      method: 'POST',
      url: '/v1/webhooks/stripe',
      operationId: 'stripeWebhook',
      summary:
        'Stripe events, verified against the Stripe-Signature header (300 s tolerance), applied once per ' +
        'event id and handed to the workflow that owns them. Unknown types are acknowledged and ignored.',
      tag: 'webhooks',
      auth: false,
      // The signature covers the exact bytes Stripe sent, so this route receives them unparsed.
      rawBody: stripeEventSchema,
      schema: { headers: stripeSignatureHeaders, response: { 200: webhookAckSchema } },
      errors: ['INVALID_SIGNATURE', 'DATABASE_UNAVAILABLE'],
      handler: async (request, reply) => {
        if (!deps.webhookSecret) throw new Error('STRIPE_WEBHOOK_SECRET is not set');
        const signature = request.headers['stripe-signature'];
        const { status, body, error } = await handleStripeWebhook(
          { db: deps.db, client: deps.temporalClient, webhookSecret: deps.webhookSecret },
          request.body as Buffer,
          typeof signature === 'string' ? signature : undefined,
        );
        if (error) noteFailure(request, error);
        return reply.code(status).send(body);
      },
    },
  ];
}
