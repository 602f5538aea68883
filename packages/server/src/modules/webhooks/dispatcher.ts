import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import { Webhook } from 'standardwebhooks';
import type { Database, WebhookDeliveryRow } from '../../db/schema.js';
import { type SecretBox, webhookSecretAad } from '../../lib/crypto.js';
import { hostOf, isPublicAddress, publicOnlyLookup } from './address.js';
import { WebhookRepository } from './webhook.repository.js';
import { DELIVERIES_KEPT } from './webhook.service.js';

/**
 * The waits between attempts, as the Standard Webhooks specification recommends: after the first attempt fails,
 * 5 seconds, 5 minutes, 30 minutes, 2, 5, 10, 14 and 20 hours: 9 attempts over about 51 hours.
 */
export const RETRY_DELAYS_MS = [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000].map((s) => s * 1000);

export interface DispatcherOptions {
  /** The clock deliveries fall due by (epoch milliseconds). */
  clock: () => number;
  /** The wait before each retry; its length + 1 is the number of attempts. */
  retryDelaysMs: readonly number[];
  /** How long one attempt may take, answer included. */
  timeoutMs: number;
  /** How often the queue is looked at when nothing woke the dispatcher. */
  pollMs: number;
  /** Send to loopback and private addresses too (MPOP_WEBHOOK_ALLOW_PRIVATE=1). */
  allowPrivate: boolean;
  /** Attempts in flight at once, per process. */
  concurrency: number;
}

export const DEFAULT_DISPATCHER: Omit<DispatcherOptions, 'clock' | 'allowPrivate'> = {
  retryDelaysMs: RETRY_DELAYS_MS,
  timeoutMs: 10_000,
  pollMs: 1000,
  concurrency: 8,
};

/** Bytes of an answer read before the connection is dropped (the answer's body is not used). */
const MAX_ANSWER_BYTES = 64 * 1024;
/** How long after its attempt's timeout a claimed delivery becomes due again, should the process die meanwhile. */
const LEASE_MARGIN_MS = 60_000;
const PRUNE_EVERY_MS = 60_000;

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed';

interface AttemptResult {
  status: number | null;
  error: string | null;
}

/**
 * Delivers queued webhook events in the background of the server process. Due deliveries are claimed from the
 * database (so several instances share the work and a delivery is attempted by one of them), POSTed signed as the
 * Standard Webhooks specification says, and retried with growing waits until a 2xx answer or the last attempt.
 * Everything lives in the database: after a restart the due deliveries are picked up at once.
 */
export class WebhookDispatcher {
  /** Counts the end of each attempt (the metrics plugin sets it). */
  onOutcome?: (outcome: DeliveryOutcome) => void;

  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private lastPrune = 0;
  private readonly inFlight = new Map<number, { abort: AbortController; done: Promise<void> }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
    private readonly log: FastifyBaseLogger,
    private readonly options: DispatcherOptions,
  ) {}

  start(): void {
    this.running = true;
    this.wake(0);
  }

  /** Looks at the queue soon (an event was just recorded; its transaction commits in a moment). */
  wake(ms = 100): void {
    if (!this.running) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        const soon = this.again;
        this.again = false;
        if (this.running) this.wake(soon ? 0 : this.options.pollMs);
      });
    }, ms);
    this.timer.unref();
  }

  /** Stops: attempts in flight are cut off and their deliveries made due again (the next start sends them). */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.ticking;
    for (const a of this.inFlight.values()) a.abort.abort();
    await Promise.all([...this.inFlight.values()].map((a) => a.done));
  }

  private async tick(): Promise<void> {
    const now = this.options.clock();
    try {
      const free = this.options.concurrency - this.inFlight.size;
      if (free > 0) {
        const repo = new WebhookRepository(this.db);
        const lease = new Date(now + this.options.timeoutMs + LEASE_MARGIN_MS).toISOString();
        const claimed = await repo.claim(free, new Date(now).toISOString(), lease);
        for (const row of claimed) {
          const abort = new AbortController();
          const done = this.attempt(row, abort.signal).finally(() => {
            this.inFlight.delete(row.id);
            this.wake(0);
          });
          this.inFlight.set(row.id, { abort, done });
        }
        if (claimed.length === free) this.again = true;
      }
      if (now - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now;
        await new WebhookRepository(this.db).prune(DELIVERIES_KEPT);
      }
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'webhook deliveries: could not read the queue; trying again shortly');
    }
  }

  private async attempt(row: WebhookDeliveryRow, signal: AbortSignal): Promise<void> {
    const repo = new WebhookRepository(this.db);
    const attempts = Number(row.attempts);
    try {
      const webhook = await repo.find(row.webhookId);
      if (!webhook) return; // deleted meanwhile, with its deliveries
      const result = await this.post(webhook.url, webhook.secretSealed, row, signal);
      if (signal.aborted) {
        await repo.release(row.id, attempts, new Date(this.options.clock()).toISOString());
        return;
      }
      const now = this.options.clock();
      const at = new Date(now).toISOString();
      const ok = result.status !== null && result.status >= 200 && result.status < 300;
      const last = attempts > this.options.retryDelaysMs.length;
      const outcome: DeliveryOutcome = ok ? 'delivered' : last ? 'failed' : 'retrying';
      await repo.settle(row.id, attempts, {
        status: outcome === 'retrying' ? 'pending' : outcome,
        nextAttemptAt: outcome === 'retrying' ? new Date(now + this.options.retryDelaysMs[attempts - 1]!).toISOString() : null,
        lastResponseStatus: result.status,
        lastError: ok ? null : (result.error ?? `answered ${result.status}`).slice(0, 200),
        updatedAt: at,
        deliveredAt: ok ? at : null,
      });
      this.onOutcome?.(outcome);
      const where = { webhookId: row.webhookId, deliveryId: row.id, eventType: row.eventType, attempt: attempts };
      if (outcome === 'failed') this.log.warn({ ...where, error: result.error ?? result.status }, 'webhook delivery failed for good');
      else if (outcome === 'retrying')
        this.log.info({ ...where, error: result.error ?? result.status }, 'webhook delivery attempt failed; retrying later');
    } catch (err) {
      this.log.error(
        { err: { message: (err as Error).message }, webhookId: row.webhookId, deliveryId: row.id },
        'webhook delivery: could not record the attempt',
      );
    }
  }

  /** One POST of the delivery, signed; resolves with the answer's status or why there was none (never rejects). */
  private async post(rawUrl: string, secretSealed: string, row: WebhookDeliveryRow, signal: AbortSignal): Promise<AttemptResult> {
    const url = new URL(rawUrl);
    const host = hostOf(url);
    if (!this.options.allowPrivate && net.isIP(host) && !isPublicAddress(host)) {
      return { status: null, error: `refused: ${host} is not a public address` };
    }
    let headers: Record<string, string>;
    try {
      const secret = this.box.open(secretSealed, webhookSecretAad(row.webhookId)).toString('utf8');
      const sentAt = new Date(); // the receiver compares it with its own clock
      headers = {
        'content-type': 'application/json',
        'user-agent': 'mpop-webhooks',
        'webhook-id': row.messageId,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(row.messageId, sentAt, row.payload),
      };
    } catch {
      return { status: null, error: 'the signing secret could not be opened with the master key' };
    }
    const body = Buffer.from(row.payload, 'utf8');
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      const finish = (r: AttemptResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        resolve(r);
      };
      const req = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'POST',
        headers: { ...headers, 'content-length': String(body.length) },
        agent: false,
        signal,
        ...(this.options.allowPrivate ? {} : { lookup: publicOnlyLookup as unknown as net.LookupFunction }),
      });
      const timer = setTimeout(
        () => finish({ status: null, error: `no answer within ${Math.round(this.options.timeoutMs / 1000)} s` }),
        this.options.timeoutMs,
      );
      req.on('response', (res) => {
        const status = res.statusCode ?? null;
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES)
            finish({ status, error: status !== null && status >= 200 && status < 300 ? null : `answered ${status}` });
        });
        res.on('end', () => finish({ status, error: status !== null && status >= 200 && status < 300 ? null : `answered ${status}` }));
        res.on('error', () => finish({ status, error: `answered ${status}` }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        const reason =
          err.name === 'AddressRefused'
            ? `refused: ${err.message}`
            : signal.aborted
              ? 'stopped'
              : err.code
                ? `no answer (${err.code})`
                : err.message;
        finish({ status: null, error: reason });
      });
      req.end(body);
    });
  }
}
