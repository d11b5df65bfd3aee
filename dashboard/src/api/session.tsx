import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Static } from 'typebox';
import type { dashboardSessionSchema } from '../../../src/api/routes/dashboard-session.schemas';
import { ApiError, onSignedOut, request, setCsrfToken } from './client';

export type Session = Static<typeof dashboardSessionSchema>;

type SessionState =
  | { status: 'checking' }
  | { status: 'signed-out'; reason?: 'ended' }
  | { status: 'signed-in'; session: Session }
  | { status: 'unreachable'; error: unknown };

interface SessionContextValue {
  state: SessionState;
  signIn(apiKey: string): Promise<void>;
  signOut(): Promise<void>;
  recheck(): void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

/**
 * The dashboard session: the HttpOnly cookie the API set holds it; the page only knows the org and the
 * CSRF token (GET /v1/dashboard/session answers both again after a reload).
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'checking' });
  const [check, setCheck] = useState(0);

  const adopt = useCallback((session: Session) => {
    setCsrfToken(session.csrfToken);
    setState({ status: 'signed-in', session });
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    request<Session>('GET', '/v1/dashboard/session', { signal: controller.signal, quiet401: true }).then(
      adopt,
      (error: unknown) => {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) setState({ status: 'signed-out' });
        else setState({ status: 'unreachable', error });
      },
    );
    return () => controller.abort();
  }, [adopt, check]);

  useEffect(
    () =>
      onSignedOut(() => {
        setCsrfToken(null);
        setState({ status: 'signed-out', reason: 'ended' });
      }),
    [],
  );

  const value = useMemo<SessionContextValue>(
    () => ({
      state,
      async signIn(apiKey) {
        adopt(await request<Session>('POST', '/v1/dashboard/session', { body: { apiKey }, quiet401: true }));
      },
      async signOut() {
        try {
          await request<void>('DELETE', '/v1/dashboard/session', { quiet401: true });
        } finally {
          setCsrfToken(null);
          setState({ status: 'signed-out' });
        }
      },
      recheck: () => setCheck((n) => n + 1),
    }),
    [state, adopt],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in session; only pages behind the sign-in gate call it. */
export function useSignedIn(): Session {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useSignedIn while not signed in');
  return state.session;
}
