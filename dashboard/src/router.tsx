import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/**
 * Routing by the path under the app's base (/dashboard/): the API serves index.html for every such path,
 * so a link can be opened in a new tab or reloaded. Small enough not to need a router library: five
 * pages and one detail route.
 */
const BASE = import.meta.env.BASE_URL;
const CHANGE = 'dashboard:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(CHANGE, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(CHANGE, onChange);
  };
}

const currentPath = () =>
  window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : '';

/** The path under the base, without slashes at either end: '', 'billing', 'invoices/LB-2026-000001'. */
export function usePath(): string {
  return useSyncExternalStore(subscribe, currentPath).replace(/\/+$/, '');
}

export const hrefOf = (to: string): string => `${BASE}${to}`;

export function navigate(to: string): void {
  window.history.pushState(null, '', hrefOf(to));
  window.dispatchEvent(new Event(CHANGE));
  window.scrollTo(0, 0);
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

/** An ordinary link (new tab, copy address work) that changes page without reloading. */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={hrefOf(to)} onClick={handle} {...rest} />;
}
