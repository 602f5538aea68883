import { MpopError } from './errors.js';

export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** First backoff; doubled on each retry, with full jitter (default 300 ms). */
  baseDelayMs?: number;
  /** Upper bound of one backoff (default 10 s). */
  maxDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for: the call fails with the server's code (default 60 s). */
  maxRetryAfterMs?: number;
}

export interface HttpOptions {
  fetch: typeof fetch;
  retry: Required<RetryOptions>;
}

/** A failed attempt that another attempt may fix. */
class Retryable extends Error {
  constructor(
    readonly error: MpopError,
    readonly retryAfterMs?: number,
  ) {
    super(error.message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** The error an unsuccessful answer stands for: the server's problem code when it sent one. */
async function problemOf(res: Response): Promise<MpopError> {
  let code = `HTTP_${res.status}`;
  let detail = `The server answered ${res.status} ${res.statusText}.`;
  try {
    const body = (await res.json()) as { code?: unknown; detail?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.detail === 'string') detail = body.detail;
  } catch {
    // not a problem document
  }
  return new MpopError(code, detail, res.status);
}

/**
 * One HTTP exchange with timeouts and retries: network errors, timeouts, 5xx and 429 are retried with exponential
 * backoff (honouring `Retry-After`); any other 4xx fails at once. `read` consumes the body within the same attempt
 * and under the same timeout, so a download cut off halfway is retried too.
 */
export async function exchange<T>(
  http: HttpOptions,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  read: (res: Response) => Promise<T>,
): Promise<T> {
  const { retries, baseDelayMs, maxDelayMs, maxRetryAfterMs } = http.retry;
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptOnce(http, url, init, timeoutMs, read);
    } catch (err) {
      if (!(err instanceof Retryable)) throw err;
      if (attempt >= retries) throw err.error;
      if (err.retryAfterMs !== undefined && err.retryAfterMs > maxRetryAfterMs) throw err.error;
      const backoff = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
      await sleep(err.retryAfterMs ?? backoff);
    }
  }
}

async function attemptOnce<T>(http: HttpOptions, url: string, init: RequestInit, timeoutMs: number, read: (res: Response) => Promise<T>) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await http.fetch(url, { ...init, signal: controller.signal });
    if (res.status >= 500 || res.status === 429) {
      throw new Retryable(await problemOf(res), retryAfterMs(res.headers.get('retry-after')));
    }
    if (!res.ok) throw await problemOf(res);
    return await read(res);
  } catch (err) {
    if (err instanceof Retryable || err instanceof MpopError) throw err;
    if (controller.signal.aborted) {
      throw new Retryable(new MpopError('TIMEOUT', `No answer from ${new URL(url).origin} within ${timeoutMs} ms.`));
    }
    throw new Retryable(new MpopError('NETWORK_ERROR', `Could not reach ${new URL(url).origin}: ${(err as Error).message}`));
  } finally {
    clearTimeout(timer);
  }
}
