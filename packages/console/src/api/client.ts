import type { ErrorCode, Problem } from '@mpop/contracts';

/**
 * Problems the console meets without the server describing them: the server could not be reached, or answered
 * something that is not the API's JSON (a proxy's HTML error page, a cut-off body).
 */
export type ClientProblemCode = 'NETWORK_ERROR' | 'BAD_RESPONSE' | 'UPLOAD_LOST';
/** Every code the console has a message for: the server's closed catalogue plus its own two. */
export type ProblemCode = ErrorCode | ClientProblemCode;

/** A problem as the console holds it: the server's (RFC 9457), or one of its own. */
export type ConsoleProblem = Omit<Problem, 'code'> & { code: ProblemCode };

/** An API answer that was a problem: the console shows its message for `code` (see problem.tsx), with `detail`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ConsoleProblem,
  ) {
    super(problem.detail);
    this.name = 'ApiError';
  }
  get code(): ProblemCode {
    return this.problem.code;
  }
  /** The message for one field, when the server named it in `errors[]`. */
  fieldMessage(path: string): string | undefined {
    return this.problem.errors?.find((e) => e.path === path)?.message;
  }
}

type Listener = () => void;
const unauthenticatedListeners = new Set<Listener>();
/** Called when any request answers 401: the session expired or was ended elsewhere. */
export function onUnauthenticated(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export const networkError = () =>
  new ApiError(0, {
    type: 'about:blank',
    title: 'Network error',
    status: 0,
    code: 'NETWORK_ERROR',
    detail: 'The server could not be reached. Check your connection and try again.',
  });

/** An upload whose connection broke before the answer (the server restarted, the network dropped): nothing was kept. */
export const uploadLost = () =>
  new ApiError(0, {
    type: 'about:blank',
    title: 'Upload lost',
    status: 0,
    code: 'UPLOAD_LOST',
    detail: 'The upload did not finish and nothing was saved. Upload the package again.',
  });

/**
 * Reads an answer's body. A problem or a JSON answer is parsed; anything else (an HTML error page from a proxy,
 * a body cut off mid-way) becomes a BAD_RESPONSE problem instead of a value the page cannot use.
 */
export function parseAnswer(url: string, status: number, statusText: string, contentType: string | null, text: string): unknown {
  const ok = status >= 200 && status < 300;
  const isJson = /^application\/(problem\+)?json\b/i.test(contentType ?? '');
  let data: unknown;
  if (text && isJson) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (ok && (!text || data !== undefined)) return data;
  if (!ok && data && typeof data === 'object' && 'code' in data && 'detail' in data) {
    if (status === 401 && url !== '/api/v1/session') for (const l of unauthenticatedListeners) l();
    throw new ApiError(status, data as ConsoleProblem);
  }
  if (status === 401 && url !== '/api/v1/session') for (const l of unauthenticatedListeners) l();
  throw new ApiError(status, {
    type: 'about:blank',
    title: statusText || 'Unexpected answer',
    status,
    code: 'BAD_RESPONSE',
    detail: `The server answered ${status}${statusText ? ` ${statusText}` : ''} with ${isJson ? 'unreadable JSON' : `${contentType || 'no content type'}`}, not the API's answer. A proxy in between may have failed; try again.`,
  });
}

export interface RequestOptions {
  /** Cancels the request (the request hook aborts when the page goes away). */
  signal?: AbortSignal;
}

/** One fetch wrapper: JSON or FormData in, JSON out, problems thrown as ApiError. Aborts reject with AbortError. */
export async function request<T>(method: string, url: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' }, signal: options.signal };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, init);
    text = res.status === 204 ? '' : await res.text();
  } catch (err) {
    if (isAbort(err)) throw err;
    throw networkError();
  }
  return parseAnswer(url, res.status, res.statusText, res.headers.get('content-type'), text) as T;
}

/** Whether an error is the cancellation of a request (not a problem to show). */
export const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError';
