import type { Problem as ServerProblem } from '@mpop/contracts';

/** A server problem, or one the console makes itself when no problem came back (network down, a proxy's page). */
export type Problem = Omit<ServerProblem, 'code'> & { code: ServerProblem['code'] | 'NETWORK_ERROR' | `HTTP_${number}` };

/** An API answer that was a problem (RFC 9457): the console shows `detail`, and switches on `code`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail);
    this.name = 'ApiError';
  }
  get code() {
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

/** One fetch wrapper: JSON or FormData in, JSON out, problems thrown as ApiError. */
export async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: {} };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch {
    throw new ApiError(0, {
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      code: 'NETWORK_ERROR',
      detail: 'The server could not be reached. Check your connection and try again.',
    });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const data = text ? safeJson(text) : undefined;
  if (!res.ok) {
    const problem: Problem =
      data && typeof data === 'object' && 'code' in data
        ? (data as Problem)
        : {
            type: 'about:blank',
            title: res.statusText,
            status: res.status,
            code: `HTTP_${res.status}`,
            detail: `The server answered ${res.status} ${res.statusText}.`,
          };
    if (res.status === 401 && url !== '/api/v1/session') for (const l of unauthenticatedListeners) l();
    throw new ApiError(res.status, problem);
  }
  return data as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
