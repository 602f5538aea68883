import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isAbort } from './client';

export interface RequestState<T> {
  /** The last answer (kept while a reload runs, so tables do not flash empty). */
  data: T | undefined;
  /** The problem of the last attempt, if it failed. */
  error: ApiError | undefined;
  /** A request the user waits for is running (not a quiet refresh, see `refreshEvery`). */
  loading: boolean;
  /** Runs the request again (after a change, or from a Retry button). */
  reload: () => void;
}

export interface RequestOptions<T> {
  /** Nothing is asked while false (a dialog with nothing to show yet): no data, no problem, not loading. */
  enabled?: boolean;
  /**
   * Forget the last answer when `deps` change (a dialog opened for another item must never show the previous
   * item's data); it is still kept across `reload()`. Lists leave it off: the old page stays until the new one lands.
   */
  resetOnChange?: boolean;
  /**
   * Asks again, quietly (no loading state), this many milliseconds after each answer while it returns a number:
   * a signing job or a rollout that moves on its own is followed until it settles.
   */
  refreshEvery?: (data: T) => number | false | undefined;
}

/**
 * The one way the console loads data: runs `fetcher` when `deps` change, tracks loading and the problem, and
 * aborts the request in flight when the component goes away or `deps` change (so a late answer never lands on
 * a page that moved on). `fetcher` receives the AbortSignal to pass to the API function.
 */
export function useRequest<T>(
  fetcher: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
  { enabled = true, resetOnChange = false, refreshEvery }: RequestOptions<T> = {},
): RequestState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(enabled);
  const [generation, setGeneration] = useState(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const refreshRef = useRef(refreshEvery);
  refreshRef.current = refreshEvery;
  /** The next run is a quiet refresh (polling), not one the user waits for. */
  const quiet = useRef(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `deps` are the caller's
  useEffect(() => {
    if (resetOnChange || !enabled) setData(undefined);
  }, [...deps, enabled]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `deps` are the caller's; `generation` is a reload
  useEffect(() => {
    if (!enabled) {
      setLoading(false);
      setError(undefined);
      return;
    }
    const controller = new AbortController();
    if (!quiet.current) {
      setLoading(true);
      setError(undefined);
    }
    quiet.current = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    fetcherRef.current(controller.signal).then(
      (answer) => {
        if (controller.signal.aborted) return;
        setData(answer);
        setError(undefined);
        setLoading(false);
        const after = refreshRef.current?.(answer);
        if (typeof after === 'number') {
          timer = setTimeout(() => {
            quiet.current = true;
            setGeneration((g) => g + 1);
          }, after);
        }
      },
      (err: unknown) => {
        if (controller.signal.aborted || isAbort(err)) return;
        setError(err instanceof ApiError ? err : toApiError(err));
        setLoading(false);
      },
    );
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [...deps, enabled, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}

/** A thrown non-problem (a bug, a TypeError) shown like a bad answer rather than swallowed. */
export function toApiError(err: unknown): ApiError {
  return new ApiError(0, {
    type: 'about:blank',
    title: 'Unexpected error',
    status: 0,
    code: 'BAD_RESPONSE',
    detail: err instanceof Error ? err.message : String(err),
  });
}
