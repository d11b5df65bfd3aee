import { callApi, type ApiResponse, type CallOptions } from './api';

/** A signed-in dashboard session as a browser holds it: the cookie to send back and the CSRF token. */
export interface DashboardSession {
  /** `lb_session=<token>`, ready for a Cookie header. */
  cookie: string;
  csrfToken: string;
  orgId: string;
  expiresAt: string;
  /** The whole Set-Cookie header the sign-in answered. */
  setCookie: string;
}

/** The `name=value` part of a response's Set-Cookie for `name`, if it set one. */
export function cookieFrom(res: ApiResponse, name = 'lb_session'): string | undefined {
  const header = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  return header?.split(';')[0];
}

/** POST /v1/dashboard/session with `apiKey` (a key with the dashboard scope); throws unless it is 201. */
export async function signIn(baseUrl: string, apiKey: string): Promise<DashboardSession> {
  const res = await callApi(baseUrl, 'POST', '/v1/dashboard/session', { json: { apiKey } });
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('lb_session='));
  if (res.status !== 201 || !setCookie) {
    throw new Error(`sign-in answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return {
    cookie: setCookie.split(';')[0]!,
    csrfToken: res.body.csrfToken,
    orgId: res.body.orgId,
    expiresAt: res.body.expiresAt,
    setCookie,
  };
}

/**
 * A call as the dashboard makes it: the session's cookie, and its CSRF token on anything but GET (unless
 * `csrf` says otherwise: `false` sends none, a string sends that one).
 */
export function callAsSession(
  baseUrl: string,
  session: Pick<DashboardSession, 'cookie' | 'csrfToken'>,
  method: string,
  path: string,
  opts: CallOptions & { csrf?: string | false } = {},
): Promise<ApiResponse> {
  const { csrf, ...rest } = opts;
  const token = csrf === undefined ? (method === 'GET' ? undefined : session.csrfToken) : csrf;
  return callApi(baseUrl, method, path, {
    ...rest,
    headers: {
      cookie: session.cookie,
      ...(token === false || token === undefined ? {} : { 'x-csrf-token': token }),
      ...rest.headers,
    },
  });
}
