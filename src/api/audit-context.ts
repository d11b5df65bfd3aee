import type { FastifyRequest } from 'fastify';
import { apiKeyActor, type AuditActor, type AuditedBy } from '../audit/actors';
import { identityOf } from './auth';

/** Who a request acts as in the audit trail: its API key, by the key's public prefix. */
export const requestActor = (request: FastifyRequest): AuditActor => apiKeyActor(identityOf(request).prefix);

/**
 * The actor and the key a request's action is recorded under: its Idempotency-Key when the route takes
 * one (a retry is then the same event), else the request's own id (x-request-id, made by the server).
 */
export function auditedBy(request: FastifyRequest): AuditedBy {
  const key = request.headers['idempotency-key'];
  return {
    actor: requestActor(request),
    key: typeof key === 'string' ? `idempotency:${key}` : `request:${request.id}`,
  };
}
