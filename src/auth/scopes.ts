import { invalid } from '../errors';

/**
 * What an API key may do beyond the partner API. Scopes add to a key, never take away: every key may
 * call the partner routes, and a route that moves money on someone else's word (the ad-platform billing
 * ingest, POST /v1/wallet/spend) also requires its scope. `dashboard` lets the key be exchanged for a
 * browser session (POST /v1/dashboard/session, src/auth/sessions.ts). Migration 0012's CHECK on
 * api_keys.scopes holds the same list (test/db/status-checks.test.ts compares them): a new scope is
 * appended here and to that CHECK in a migration.
 */
export const API_KEY_SCOPES = ['wallet:spend', 'dashboard'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const isApiKeyScope = (value: unknown): value is ApiKeyScope =>
  typeof value === 'string' && (API_KEY_SCOPES as readonly string[]).includes(value);

/** Known scopes only, each once, in the order given. */
export function requireScopes(value: readonly unknown[]): ApiKeyScope[] {
  const scopes: ApiKeyScope[] = [];
  for (const scope of value) {
    if (!isApiKeyScope(scope)) throw invalid('scopes', `must each be one of ${API_KEY_SCOPES.join(', ')}`);
    if (!scopes.includes(scope)) scopes.push(scope);
  }
  return scopes;
}
