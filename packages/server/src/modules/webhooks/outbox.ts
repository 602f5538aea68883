import { randomUUID } from 'node:crypto';
import type { WebhookEventType } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';
import { WebhookRepository } from './webhook.repository.js';

/**
 * Where services record what happened for delivery to webhooks. A service calls `record` inside the transaction of
 * the change (as it records the audit event), so an event exists exactly when the change does; delivery happens
 * later, in the background, and never slows or fails the call that caused it.
 */
export interface Outbox {
  record(trx: Executor, type: WebhookEventType, data: Record<string, unknown>): Promise<void>;
}

/** An outbox that keeps nothing: for tools and tests that run services without webhooks. */
export const discardingOutbox: Outbox = { record: async () => {} };

/**
 * The outbox of the server: one delivery row per subscribed webhook, written by one insert-select in the caller's
 * transaction (no network, no wait). The body `{ type, timestamp, data }` is fixed here, so every attempt sends the
 * same bytes under the same message ID.
 */
export class DatabaseOutbox implements Outbox {
  /** Called after each record (the dispatcher looks for due deliveries soon after). */
  onRecord?: () => void;

  constructor(private readonly clock: () => number = Date.now) {}

  async record(trx: Executor, type: WebhookEventType, data: Record<string, unknown>): Promise<void> {
    const at = new Date(this.clock()).toISOString();
    const messageId = `msg_${randomUUID().replaceAll('-', '')}`;
    const payload = JSON.stringify({ type, timestamp: at, data });
    await new WebhookRepository(trx).enqueue({ messageId, type, payload, at });
    this.onRecord?.();
  }
}
