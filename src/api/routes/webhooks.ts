import type { Client } from '@temporalio/client';
import type { Db } from '../../db/pool';
import { handleStripeWebhook } from '../../webhooks/stripe';
import { noteFailure } from '../request-log';
import type { ApiRoute } from '../route';
import { stripeEventSchema, stripeSignatureHeaders, webhookAckSchema } from '../schemas';

export interface WebhookRouteDeps {
  db: Db;
  temporalClient: Client;
  /** The Stripe endpoint's signing secret; without it every delivery is refused (500), never trusted. */
  webhookSecret?: string;
}

/** The Stripe webhook endpoint: every domain's events arrive here (owners in src/webhooks/owners.ts). */
export function webhookRoutes(deps: WebhookRouteDeps): ApiRoute[] {
  return [
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
