import type { Client } from '@temporalio/client';
import { Type } from 'typebox';
import type { Db } from '../../db/pool';
import { handleStripeWebhook } from '../../webhooks/stripe';
import { noteFailure } from '../request-log';
import { defineRoute, type ApiRoute } from '../route';
import { anyObject } from '../schemas';

/**
 * Missing or malformed, it is answered like a forged one: 400 INVALID_SIGNATURE (src/api/errors.ts).
 * Not closed: every other header of the delivery is allowed.
 */
export const stripeSignatureHeaders = Type.Object({ 'stripe-signature': Type.String({ minLength: 1 }) });

/**
 * What the webhook route documents as its body. It is not validated against this: the route takes the
 * exact bytes, checks the signature over them, and only then parses them (src/webhooks/stripe.ts).
 */
export const stripeEventSchema = Type.Object(
  { id: Type.String(), type: Type.String() },
  { additionalProperties: true },
);

/** Whatever the handler tells Stripe; Stripe reads only the status. */
export const webhookAckSchema = anyObject();

export interface WebhookRouteDeps {
  db: Db;
  temporalClient: Client;
  /** The Stripe endpoint's signing secret; without it every delivery is refused (500), never trusted. */
  webhookSecret?: string;
}

/** The Stripe webhook endpoint: every domain's events arrive here (owners in src/webhooks/owners.ts). */
export function webhookRoutes(deps: WebhookRouteDeps): ApiRoute[] {
  return [
    defineRoute({
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
        const { status, body, error } = await handleStripeWebhook(
          { db: deps.db, client: deps.temporalClient, webhookSecret: deps.webhookSecret },
          request.body,
          request.headers['stripe-signature'],
        );
        if (error) noteFailure(request, error);
        return reply.code(status).send(body);
      },
    }),
  ];
}
