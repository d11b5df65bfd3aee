import type { ApiErrorBody } from './types';

/**
 * The one way the pages talk to the API: same-origin fetch with the session cookie, JSON in and out, the
 * session's CSRF token on every change, and errors as ApiError with the API's stable code.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
const signedOutListeners = new Set<() => void>();

/** The session's token, sent as x-csrf-token with every request that changes something. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API answers 401 to a page's request: the session ended (expired, or signed out). */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as Idempotency-Key: the same key for a retried action, so it never happens twice. */
  idempotencyKey?: string;
  signal?: AbortSignal;
  /** Do not treat a 401 as the end of the session (the sign-in form's own requests). */
  quiet401?: boolean;
}

async function send(method: string, path: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', 'The billing service could not be reached. Check the connection.');
  }
  if (res.ok) return res;
  let body: Partial<ApiErrorBody> | undefined;
  try {
    body = (await res.json()) as ApiErrorBody;
  } catch {
    body = undefined;
  }
  const error = body?.error;
  if (res.status === 401 && !opts.quiet401) for (const listener of signedOutListeners) listener();
  throw new ApiError(
    res.status,
    error?.code ?? `HTTP_${res.status}`,
    error?.message ?? `The request failed (HTTP ${res.status}).`,
    error?.details,
  );
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(method, path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A body that is text (the audit trail's JSON Lines). */
export async function requestText(path: string, opts: RequestOptions = {}): Promise<string> {
  return (await send('GET', path, opts)).text();
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, { signal });

/** `?a=1&b=x` from the defined, non-empty values; `''` when there are none. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * A fresh Idempotency-Key (printable ASCII, as the API asks). From getRandomValues, which unlike
 * randomUUID also exists on a page served over plain http from another host.
 */
export function newIdempotencyKey(action: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `dashboard-${action}-${hex}`;
}

/** What to tell a person about a failed request: the API's message, which names the field or rule. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
