import type { WebhookEventType } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';

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
