import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  recordSubscriptionRequest,
  setCreditAlertAudited,
  type SubscriptionRequest,
} from '../../audit/billing';
import type { BillingClient } from '../../billing/client';
import { getCreditAlert } from '../../billing/credit-alerts';
import { previewChange } from '../../billing/preview';
import { getSubscription } from '../../billing/subscriptions';
import { changeResultView, subscriptionView } from '../../billing/views';
import type { Db } from '../../db/pool';
import type { ErrorCode } from '../../errors';
import { newId } from '../../ids';
import type { SubscriptionChangeResult } from '../../../workflows/billing.messages';
import { auditedBy } from '../audit-context';
import { identityOf } from '../auth';
import { requestHash, runIdempotent } from '../idempotency';
import { defineRoute, type ApiRoute } from '../route';
import { closed, idempotencyHeaders } from '../schemas';
import {
  changeBody,
  changeResultSchema,
  creditAlertBody,
  creditAlertSchema,
  previewSchema,
  resumeBody,
  subscriptionSchema,
} from './billing.schemas';

export interface BillingRouteDeps {
  db: Db;
  /** The org-billing workflow's client; without it the four change routes are not served. */
  billing?: BillingClient;
  /** The business time a preview is computed at: the wall clock, unless a test pins it. */
  clock?: () => Date;
}

/** What every change can be refused with, besides bad input: see src/billing/changes.ts and lifecycle.ts. */
const CHANGE_ERRORS: ErrorCode[] = [
  'NOT_FOUND',
  'IDEMPOTENCY_KEY_REUSED',
  'ENGINE_UNAVAILABLE',
  'SUBSCRIPTION_STATE_CONFLICT',
];

const IDEMPOTENT =
  'Requires Idempotency-Key: a repeat answers with the stored outcome and never charges twice; the same ' +
  'key with another body is 409.';

/**
 * The org's subscription: read from the read model the org-billing workflow keeps (no Temporal call),
 * previewed with the same pure rule the workflow applies, and changed through the workflow's Updates,
 * each under an Idempotency-Key whose record holds the Update id, so a retry is the same Update.
 */
export function billingRoutes({ db, billing, clock = () => new Date() }: BillingRouteDeps): ApiRoute[] {
  async function changeOnce(
    request: FastifyRequest,
    reply: FastifyReply,
    scope: { orgId: string; key: string; url: string; body: unknown },
    run: (updateId: string) => Promise<SubscriptionChangeResult>,
  ): Promise<FastifyReply> {
    const result = await runIdempotent(
      db,
      { orgId: scope.orgId, key: scope.key, requestHash: requestHash('POST', scope.url, scope.body) },
      () => newId('upd'),
      async (updateId) => {
        const r = await run(updateId);
        const kind = scope.url.slice('/v1/subscription/'.length) as SubscriptionRequest;
        await recordSubscriptionRequest(db, auditedBy(request), scope.orgId, kind, scope.body, r);
        return { status: 200, body: changeResultView(scope.orgId, r) };
      },
    );
    if (result.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(result.status).send(result.body);
  }

  const reads: ApiRoute[] = [
    defineRoute({
      method: 'GET',
      url: '/v1/subscription',
      operationId: 'getSubscription',
      summary:
        "The calling org's subscription: tier, interval, seats, status, current period, next renewal, a " +
        'change scheduled for the renewal, a pending cancel, and the prices of the plan.',
      tag: 'subscription',
      auth: true,
      schema: { response: { 200: subscriptionSchema } },
      errors: ['NOT_FOUND'],
      handler: async (request) => {
        const { orgId } = identityOf(request);
        return subscriptionView(orgId, await getSubscription(db, orgId));
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/subscription/preview',
      operationId: 'previewSubscriptionChange',
      summary:
        'What the same change sent to /v1/subscription/change would charge or refund now, line by line, ' +
        'computed at the instant returned as `at`; changes nothing.',
      tag: 'subscription',
      auth: true,
      schema: { body: changeBody, response: { 200: previewSchema } },
      errors: [
        'NOT_FOUND',
        'ENGINE_UNAVAILABLE',
        'PLAN_LIMIT_REACHED',
        'PLAN_UNCHANGED',
        'CHANGE_ALREADY_SCHEDULED',
        'SUBSCRIPTION_CANCELED',
        'SUBSCRIPTION_STATE_CONFLICT',
      ],
      handler: async (request) => previewChange(db, identityOf(request).orgId, request.body, clock()),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/credits/alerts',
      operationId: 'getCreditAlert',
      summary:
        'The credit alert as PUT /v1/credits/alerts last set it, in the same shape: thresholdCredits, or ' +
        'null when there is none.',
      tag: 'credits',
      auth: true,
      // Closed: a parameter this route does not have is refused, not silently ignored.
      schema: { querystring: closed({}), response: { 200: creditAlertSchema } },
      errors: [],
      handler: async (request) => getCreditAlert(db, identityOf(request).orgId),
    }),
    defineRoute({
      method: 'PUT',
      url: '/v1/credits/alerts',
      operationId: 'setCreditAlert',
      summary:
        'Sets the credit alert: one notification when `available` first drops below thresholdCredits in ' +
        'a period; null switches it off.',
      tag: 'credits',
      auth: true,
      schema: { body: creditAlertBody, response: { 200: creditAlertSchema } },
      errors: [],
      handler: async (request) =>
        setCreditAlertAudited(
          db,
          auditedBy(request),
          identityOf(request).orgId,
          request.body.thresholdCredits,
        ),
    }),
  ];
  if (!billing) return reads;

  return [
    ...reads,
    defineRoute({
      method: 'POST',
      url: '/v1/subscription/change',
      operationId: 'changeSubscription',
      summary:
        'Changes tier, interval or seats: an upgrade or an interval change now, prorated to the second; ' +
        'a downgrade at the renewal (or now with `effective: "now"`, refunding the difference); asking ' +
        `for the current plan cancels a scheduled change. ${IDEMPOTENT}`,
      tag: 'subscription',
      auth: true,
      schema: { headers: idempotencyHeaders, body: changeBody, response: { 200: changeResultSchema } },
      errors: [
        ...CHANGE_ERRORS,
        'PAYMENT_DECLINED',
        'PLAN_LIMIT_REACHED',
        'PLAN_UNCHANGED',
        'CHANGE_ALREADY_SCHEDULED',
        'SUBSCRIPTION_CANCELED',
      ],
      handler: async (request, reply) => {
        const { orgId } = identityOf(request);
        const { body } = request;
        const key = request.headers['idempotency-key'];
        return changeOnce(request, reply, { orgId, key, url: '/v1/subscription/change', body }, (updateId) =>
          billing.change(orgId, body, updateId),
        );
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/subscription/cancel',
      operationId: 'cancelSubscription',
      summary:
        'Cancels at the end of the current period (access until then; resume undoes it); a paused or ' +
        `past_due subscription ends now. ${IDEMPOTENT}`,
      tag: 'subscription',
      auth: true,
      schema: { headers: idempotencyHeaders, response: { 200: changeResultSchema } },
      errors: [...CHANGE_ERRORS, 'SUBSCRIPTION_CANCELED'],
      handler: async (request, reply) => {
        const { orgId } = identityOf(request);
        const key = request.headers['idempotency-key'];
        return changeOnce(
          request,
          reply,
          { orgId, key, url: '/v1/subscription/cancel', body: null },
          (updateId) => billing.cancel(orgId, updateId),
        );
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/subscription/pause',
      operationId: 'pauseSubscription',
      summary:
        'Pauses now: the unused paid time is refunded, included credits stop (prepaid stay) and new ' +
        `generations answer 402 SUBSCRIPTION_INACTIVE until resumed. ${IDEMPOTENT}`,
      tag: 'subscription',
      auth: true,
      schema: { headers: idempotencyHeaders, response: { 200: changeResultSchema } },
      errors: [...CHANGE_ERRORS, 'SUBSCRIPTION_CANCELED'],
      handler: async (request, reply) => {
        const { orgId } = identityOf(request);
        const key = request.headers['idempotency-key'];
        return changeOnce(
          request,
          reply,
          { orgId, key, url: '/v1/subscription/pause', body: null },
          (updateId) => billing.pause(orgId, updateId),
        );
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/subscription/resume',
      operationId: 'resumeSubscription',
      summary:
        'Undoes a pending cancel; ends a pause with a new period from now, charged in full; subscribes a ' +
        `canceled org again (on the last plan, or the one the body names). Body: {} or a plan. ${IDEMPOTENT}`,
      tag: 'subscription',
      auth: true,
      schema: { headers: idempotencyHeaders, body: resumeBody, response: { 200: changeResultSchema } },
      errors: [...CHANGE_ERRORS, 'PAYMENT_DECLINED', 'PLAN_LIMIT_REACHED'],
      handler: async (request, reply) => {
        const { orgId } = identityOf(request);
        const { body } = request;
        const key = request.headers['idempotency-key'];
        return changeOnce(request, reply, { orgId, key, url: '/v1/subscription/resume', body }, (updateId) =>
          billing.resume(orgId, body, updateId),
        );
      },
    }),
  ];
}
