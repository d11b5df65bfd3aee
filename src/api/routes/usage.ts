import type { Db } from '../../db/pool';
import { recordUsage } from '../../invoices/usage';
import { usageSummary } from '../../invoices/usage-queries';
import {
  MAX_USAGE_EVENTS_PER_BATCH,
  USAGE_FUTURE_SKEW_MS,
  USAGE_MAX_AGE_DAYS,
} from '../../invoices/usage-rules';
import { identityOf } from '../auth';
import { parseDateTime } from '../date-time';
import { defineRoute, type ApiRoute } from '../route';
import {
  USAGE_BODY_LIMIT_BYTES,
  usageBatchBody,
  usageQuery,
  usageRecordedSchema,
  usageSummarySchema,
} from './usage.schemas';

export interface UsageRouteDeps {
  db: Db;
  /** The instant occurredAt is checked against; the wall clock unless a test pins it. */
  clock?: () => Date;
}

/**
 * Metered usage (seed 000: workflow runs, SDK events, media storage): the ingest, in batches, and the
 * current period against the tier's allowances. One batch is one request to the rate limits, whatever
 * its size.
 */
export function usageRoutes({ db, clock = () => new Date() }: UsageRouteDeps): ApiRoute[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/usage',
      operationId: 'recordUsage',
      summary:
        `Records up to ${MAX_USAGE_EVENTS_PER_BATCH} usage events (workflow_runs, sdk_events: counts; ` +
        'media_storage_gb: whole GB held, billed at the period’s peak), all or none, each once per ' +
        'idempotencyKey: a repeat with the same body counts as a duplicate, with another body it is 409 ' +
        `IDEMPOTENCY_KEY_REUSED. occurredAt may be up to ${USAGE_MAX_AGE_DAYS} days old and ` +
        `${USAGE_FUTURE_SKEW_MS / 60_000} minutes ahead (else 400 OCCURRED_AT_OUT_OF_RANGE). 201 when ` +
        'anything was recorded, 200 when every event was a duplicate.',
      tag: 'usage',
      auth: true,
      bodyLimit: USAGE_BODY_LIMIT_BYTES,
      schema: { body: usageBatchBody, response: { 200: usageRecordedSchema, 201: usageRecordedSchema } },
      errors: ['UNKNOWN_METRIC', 'OCCURRED_AT_OUT_OF_RANGE', 'IDEMPOTENCY_KEY_REUSED'],
      handler: async (request, reply) => {
        const { orgId } = identityOf(request);
        const events = request.body.events.map((e) => ({ ...e, occurredAt: parseDateTime(e.occurredAt) }));
        const r = await recordUsage(db, orgId, events, clock(), 'body.events');
        return reply.code(r.recorded > 0 ? 201 : 200).send(r);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/usage',
      operationId: 'getUsage',
      summary:
        'The org’s usage per metric against its tier’s allowance in its current credit period (or in ' +
        '[from, to)): used (counters summed, storage at its peak), allowance, what is over it and what ' +
        'that would bill at the period close.',
      tag: 'usage',
      auth: true,
      schema: { querystring: usageQuery, response: { 200: usageSummarySchema } },
      errors: [],
      handler: async (request) => {
        const { from, to } = request.query;
        return usageSummary(db, identityOf(request).orgId, {
          from: from === undefined ? undefined : parseDateTime(from),
          to: to === undefined ? undefined : parseDateTime(to),
        });
      },
    }),
  ];
}
