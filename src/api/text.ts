import type { preValidationHookHandler } from 'fastify';
import { DomainError } from '../errors';

/** In unicode mode only an unpaired surrogate has category Cs: a proper pair is one astral character. */
const LONE_SURROGATE = /\p{Cs}/u;

/** The path (`body.a[0].b`) of the first string, or object key, that holds a lone surrogate. */
function findLoneSurrogate(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findLoneSurrogate(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (LONE_SURROGATE.test(key)) return `${path}.${key}`;
      const found = findLoneSurrogate(v, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Refuses, before schema validation, any request whose path parameters, query or JSON body holds a lone
 * surrogate (JSON can carry one as `"\ud800"`, RFC 7493 forbids it): PostgreSQL cannot store it, and no
 * client means it. The published schemas' pattern (TEXT_PATTERN) refuses U+0000 and blank text; this is
 * the part of the rule a pattern cannot say in every regexp dialect. Header values cannot hold one.
 */
export const refuseLoneSurrogates: preValidationHookHandler = async (request) => {
  const parts = { params: request.params, querystring: request.query, body: request.body };
  for (const [context, value] of Object.entries(parts)) {
    const path = findLoneSurrogate(value, context);
    if (path) {
      const message = 'holds a lone surrogate (U+D800 to U+DFFF), which is not a character';
      throw new DomainError('VALIDATION_FAILED', `${path} ${message}`, { fields: [{ path, message }] });
    }
  }
};
