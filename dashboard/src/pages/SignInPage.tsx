import { useState, type FormEvent } from 'react';
import { ApiError, describeError } from '../api/client';
import { useSession } from '../api/session';
import { Button, FormMessage, TextField } from '../components/Field';
import { Banner } from '../components/ui';

function signInError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'UNAUTHENTICATED') return 'That key is not valid. Check that it was pasted whole.';
    if (err.code === 'SCOPE_REQUIRED')
      return 'That key cannot open the dashboard: it needs the dashboard scope. Ask an admin for a dashboard key.';
    if (err.code === 'KILL_SWITCH') return 'That key or its organization is disabled.';
    if (err.code === 'RATE_LIMITED') return 'Too many failed attempts. Wait a moment, then try again.';
  }
  return describeError(err);
}

/**
 * Sign in with an org API key that carries the `dashboard` scope. The key is sent once and exchanged for
 * an HttpOnly session cookie; the page never stores it.
 */
export function SignInPage({ ended }: { ended: boolean }) {
  const { signIn } = useSession();
  const [apiKey, setApiKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const linkExpired = new URLSearchParams(window.location.search).get('signin') === 'expired';

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (apiKey.trim() === '') return;
    setBusy(true);
    setError(null);
    try {
      await signIn(apiKey.trim());
      if (linkExpired) window.history.replaceState(null, '', window.location.pathname);
    } catch (err) {
      setError(signInError(err));
      setBusy(false);
    }
  }

  return (
    <main className="signin" id="main">
      <title>Sign in · Layers billing</title>
      <div className="signin-card card">
        <p className="brand brand-large">Layers billing</p>
        <h1>Sign in</h1>
        {linkExpired ? (
          <Banner tone="warning" title="That sign-in link has expired or was already used">
            Ask for a new link, or sign in with a key below.
          </Banner>
        ) : null}
        {ended ? (
          <Banner tone="info" title="You were signed out">
            The session ended. Sign in again to continue.
          </Banner>
        ) : null}
        <form className="stack" onSubmit={onSubmit} aria-label="Sign in">
          <TextField
            label="API key"
            type="password"
            name="apiKey"
            autoComplete="off"
            spellCheck={false}
            placeholder="lb_live_…"
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
            hint="A key of your organization with the dashboard scope. It is exchanged for a session and not kept in the browser."
            required
          />
          <Button type="submit" busy={busy} disabled={apiKey.trim() === ''}>
            Sign in
          </Button>
          {error ? <FormMessage tone="danger">{error}</FormMessage> : null}
        </form>
      </div>
    </main>
  );
}
