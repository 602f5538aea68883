import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isAbort } from './client';

export interface RequestState<T> {
  /** The last answer (kept while a reload runs, so tables do not flash empty). */
  data: T | undefined;
  /** The problem of the last attempt, if it failed. */
  error: ApiError | undefined;
  loading: boolean;
  /** Runs the request again (after a change, or from a Retry button). */
  reload: () => void;
}

/**
 * The one way the console loads data: runs `fetcher` when `deps` change, tracks loading and the problem, and
 * aborts the request in flight when the component goes away or `deps` change (so a late answer never lands on
 * a page that moved on). `fetcher` receives the AbortSignal to pass to the API function.
 */
export function useRequest<T>(fetcher: (signal: AbortSignal) => Promise<T>, deps: DependencyList): RequestState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;

  // biome-ignore lint/correctness/useExhaustiveDependencies: `deps` are the caller's; `generation` is a reload
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(undefined);
    fetcherRef.current(controller.signal).then(
      (answer) => {
        if (controller.signal.aborted) return;
        setData(answer);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted || isAbort(err)) return;
        setError(err instanceof ApiError ? err : toApiError(err));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [...deps, generation]);

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
