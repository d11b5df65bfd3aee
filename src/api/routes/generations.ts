import type { Static } from 'typebox';
import type { ApiKeyIdentity } from '../../auth/api-keys';
import { requireGenerationsAllowed } from '../../billing/limits';
import type { Db } from '../../db/pool';
import { DomainError } from '../../errors';
import type { GenerationClient } from '../../generations/client';
import { isDeadlinePassed } from '../../generations/deadline';
import { getGeneration, listGenerations } from '../../generations/queries';
import { newId } from '../../ids';
import { projectOwnerCheck } from '../../orgs/projects';
import { identityOf } from '../auth';
import { decodeCursor, encodeCursor } from '../cursor';
import { errorBody } from '../errors';
import { requestHash, runIdempotent, type StoredResponse } from '../idempotency';
import { defineRoute, type ApiRoute } from '../route';
import {
  completedGenerationSchema,
  completeGenerationBody,
  createdGenerationSchema,
  createGenerationBody,
  failedGenerationSchema,
  failGenerationBody,
  generationPageSchema,
  generationParams,
  generationRefusedSchema,
  generationSchema,
  LIST_LIMIT_DEFAULT,
  listGenerationsQuery,
} from './generations.schemas';
import { idempotencyHeaders } from '../schemas';

export interface GenerationRouteDeps {
  db: Db;
  generations: GenerationClient;
}

const CREATE_URL = '/v1/generations';

export function generationRoutes({ db, generations }: GenerationRouteDeps): ApiRoute[] {
  /**
   * Checked before anything else, so another org's project is refused without starting a workflow.
   * Completing or failing needs no such read: the workflow id is scoped by the caller's org
   * (generation:<orgId>:<id>), so another org's generation is simply not found.
   */
  const requireOwnProject = projectOwnerCheck(db);

  async function start(
    identity: ApiKeyIdentity,
    body: Static<typeof createGenerationBody>,
    generationId: string,
  ): Promise<StoredResponse> {
    const { orgId } = identity;
    // 402 before anything is reserved. Checked in the work, not before it, so that a retry of a request
    // already answered replays that answer even if the org was paused since.
    requireGenerationsAllowed(identity.billingStatus);
    const r = await generations.start({
      orgId,
      projectId: body.projectId,
      generationId,
      format: body.format,
    });
    if (r.status === 'reserved') {
      return { status: 201, body: { generationId, reservedCredits: r.reservedCredits, credits: r.credits } };
    }
    const refusal = new DomainError(
      'BILLING_EXHAUSTED',
      `${body.format} needs ${r.required} credits but ${r.available} are available`,
      { required: r.required, available: r.available, credits: r.credits },
    );
    return { status: refusal.httpStatus, body: errorBody(refusal) };
  }

  return [
    defineRoute({
      method: 'POST',
      url: CREATE_URL,
      operationId: 'createGeneration',
      summary:
        "Starts a generation and reserves its format's estimate. Requires Idempotency-Key: the same key " +
        'and body replay the first response; the same key with another body is 409.',
      tag: 'generations',
      auth: true,
      schema: {
        headers: idempotencyHeaders,
        body: createGenerationBody,
        response: { 201: createdGenerationSchema, 402: generationRefusedSchema },
      },
      errors: [
        'UNKNOWN_FORMAT',
        'NOT_FOUND',
        'BILLING_EXHAUSTED',
        'SUBSCRIPTION_INACTIVE',
        'IDEMPOTENCY_KEY_REUSED',
        'ENGINE_UNAVAILABLE',
      ],
      handler: async (request, reply) => {
        const identity = identityOf(request);
        const { orgId } = identity;
        const { body } = request;
        await requireOwnProject(orgId, body.projectId);
        const scope = {
          orgId,
          key: request.headers['idempotency-key'],
          requestHash: requestHash('POST', CREATE_URL, body),
        };
        const result = await runIdempotent(
          db,
          scope,
          () => newId('gen'),
          (generationId) => start(identity, body, generationId),
          isDeadlinePassed,
        );
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(result.status).send(result.body);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/generations/:id/complete',
      operationId: 'completeGeneration',
      summary:
        'Charges the actual cost and releases the rest of the hold. Safe to retry: the same completion ' +
        'gets the same answer; a different ending is 409 GENERATION_ALREADY_ENDED.',
      tag: 'generations',
      auth: true,
      schema: {
        params: generationParams,
        body: completeGenerationBody,
        response: { 200: completedGenerationSchema },
      },
      errors: ['NOT_FOUND', 'GENERATION_ALREADY_ENDED', 'ACTUAL_COST_IMPLAUSIBLE', 'ENGINE_UNAVAILABLE'],
      handler: async (request) => {
        const { orgId } = identityOf(request);
        const { id } = request.params;
        const { actualCredits, model } = request.body;
        const r = await generations.complete(orgId, id, {
          actualCredits,
          model: model ?? null,
        });
        return { generationId: id, status: 'completed', charge: r.charge, credits: r.credits };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/generations/:id/fail',
      operationId: 'failGeneration',
      summary: 'Releases the whole hold. Safe to retry with the same reason.',
      tag: 'generations',
      auth: true,
      schema: {
        params: generationParams,
        body: failGenerationBody,
        response: { 200: failedGenerationSchema },
      },
      errors: ['NOT_FOUND', 'GENERATION_ALREADY_ENDED', 'ENGINE_UNAVAILABLE'],
      handler: async (request) => {
        const { orgId } = identityOf(request);
        const { id } = request.params;
        const { reason } = request.body;
        const r = await generations.fail(orgId, id, reason);
        return { generationId: id, status: 'failed', releasedCredits: r.releasedCredits, credits: r.credits };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/generations/:id',
      operationId: 'getGeneration',
      summary: 'One generation with its reservation.',
      tag: 'generations',
      auth: true,
      schema: { params: generationParams, response: { 200: generationSchema } },
      errors: ['NOT_FOUND'],
      handler: async (request) => {
        return getGeneration(db, identityOf(request).orgId, request.params.id);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/generations',
      operationId: 'listGenerations',
      summary: 'Generations, newest first; pass nextCursor back as cursor for the next page.',
      tag: 'generations',
      auth: true,
      schema: { querystring: listGenerationsQuery, response: { 200: generationPageSchema } },
      errors: [],
      handler: async (request) => {
        // Ajv fills in the schema's default before the handler runs; the type cannot know it.
        const { status, limit = LIST_LIMIT_DEFAULT, cursor } = request.query;
        const after = cursor === undefined ? undefined : decodeCursor(cursor);
        const page = await listGenerations(db, identityOf(request).orgId, { status, limit, after });
        return { data: page.data, nextCursor: page.next ? encodeCursor(page.next) : null };
      },
    }),
  ];
}
