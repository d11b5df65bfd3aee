import { useCallback, useEffect, useEffectEvent, useState } from 'react';

export type Resource<T> =
  | { status: 'loading'; data?: undefined; error?: undefined; reload: () => void }
  | { status: 'error'; data?: undefined; error: unknown; reload: () => void }
  | { status: 'ready'; data: T; error?: undefined; reload: () => void; refreshing: boolean };

interface Settled<T> {
  key: string;
  attempt: number;
  data?: T;
  error?: unknown;
}

/**
 * Loads `load()` whenever `key` changes and on reload(). A reload keeps showing the data it has (marked
 * refreshing) rather than blanking the page; a new key shows loading; a load overtaken by a newer one is
 * dropped (its request aborted).
 */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, key: string): Resource<T> {
  const [attempt, setAttempt] = useState(0);
  const [settled, setSettled] = useState<Settled<T> | null>(null);
  const run = useEffectEvent((signal: AbortSignal) => load(signal));

  useEffect(() => {
    const controller = new AbortController();
    run(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setSettled({ key, attempt, data });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setSettled({ key, attempt, error });
      },
    );
    return () => controller.abort();
  }, [key, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  if (!settled || settled.key !== key) return { status: 'loading', reload };
  const current = settled.attempt === attempt;
  if (settled.error !== undefined) {
    return current ? { status: 'error', error: settled.error, reload } : { status: 'loading', reload };
  }
  return { status: 'ready', data: settled.data as T, reload, refreshing: !current };
}
