import { useEffect, useRef, useState, type ReactNode } from 'react';
import { SessionProvider, useSession } from './api/session';
import { Button } from './components/Field';
import { ErrorState, Skeleton } from './components/ui';
import { BillingPage } from './pages/billing/BillingPage';
import { HistoryPage } from './pages/history/HistoryPage';
import { InvoiceDetailPage } from './pages/invoices/InvoiceDetailPage';
import { InvoicesPage } from './pages/invoices/InvoicesPage';
import { SignInPage } from './pages/SignInPage';
import { WalletPage } from './pages/wallet/WalletPage';
import { Link, usePath } from './router';

const NAV = [
  { to: 'billing', label: 'Billing' },
  { to: 'invoices', label: 'Invoices' },
  { to: 'wallet', label: 'Wallet' },
  { to: 'history', label: 'History & audit' },
] as const;

export function App() {
  return (
    <SessionProvider>
      <Gate />
    </SessionProvider>
  );
}

/** Nothing of an org shows before its session is confirmed by the API. */
function Gate() {
  const { state, recheck } = useSession();
  if (state.status === 'checking')
    return (
      <main className="signin" id="main">
        <Skeleton lines={3} label="the session" />
      </main>
    );
  if (state.status === 'unreachable')
    return (
      <main className="signin" id="main">
        <ErrorState error={state.error} onRetry={recheck} what="the session" />
      </main>
    );
  if (state.status === 'signed-out') return <SignInPage ended={state.reason === 'ended'} />;
  return <Shell orgName={state.session.orgName} />;
}

function route(path: string): { section: string; title: string; page: ReactNode } {
  const [first = '', ...rest] = path.split('/');
  switch (first) {
    case '':
    case 'billing':
      return { section: 'billing', title: 'Billing', page: <BillingPage /> };
    case 'invoices':
      if (rest.length > 0) {
        const number = decodeURIComponent(rest.join('/'));
        return {
          section: 'invoices',
          title: number,
          page: <InvoiceDetailPage key={number} number={number} />,
        };
      }
      return { section: 'invoices', title: 'Invoices', page: <InvoicesPage /> };
    case 'wallet':
      return { section: 'wallet', title: 'Wallet', page: <WalletPage /> };
    case 'history':
      return { section: 'history', title: 'History & audit', page: <HistoryPage /> };
    default:
      return {
        section: '',
        title: 'Not found',
        page: (
          <div className="card">
            <h1>Page not found</h1>
            <p>
              <Link to="billing">Go to Billing</Link>
            </p>
          </div>
        ),
      };
  }
}

function Shell({ orgName }: { orgName: string }) {
  const path = usePath();
  const { signOut } = useSession();
  const [signingOut, setSigningOut] = useState(false);
  const { section, title, page } = route(path);
  const main = useRef<HTMLElement>(null);
  const shown = useRef(path);

  // After a navigation (not on load), move focus to the new page, as a full page load would; without
  // scrolling, since the page is already at its top under the sticky bar.
  useEffect(() => {
    if (shown.current === path) return;
    shown.current = path;
    main.current?.focus({ preventScroll: true });
  }, [path]);

  return (
    <>
      <title>{`${title} · ${orgName} · Layers billing`}</title>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="billing" className="brand">
            Layers billing
          </Link>
          <nav aria-label="Main" className="nav">
            <ul>
              {NAV.map((item) => (
                <li key={item.to}>
                  <Link to={item.to} aria-current={section === item.to ? 'page' : undefined}>
                    {item.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <div className="account">
            <span className="org-name" data-testid="org-name">
              {orgName}
            </span>
            <Button
              variant="ghost"
              className="button-small"
              busy={signingOut}
              onClick={() => {
                setSigningOut(true);
                void signOut();
              }}
            >
              Sign out
            </Button>
          </div>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1} className="content">
        {page}
      </main>
    </>
  );
}
