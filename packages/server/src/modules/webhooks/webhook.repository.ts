import { sql } from 'kysely';
import type { Executor } from '../../db/executor.js';
import { dialectOf } from '../../db/executor.js';
import type { WebhookDeliveryRow, WebhookRow, WebhooksTable } from '../../db/schema.js';

/** The webhooks and their delivery queue. */
export class WebhookRepository {
  constructor(private readonly db: Executor) {}

  insert(row: WebhooksTable) {
    return this.db.insertInto('webhooks').values(row).execute();
  }

  list(): Promise<WebhookRow[]> {
    return this.db.selectFrom('webhooks').selectAll().orderBy('createdAt').orderBy('webhookId').execute();
  }

  find(webhookId: string): Promise<WebhookRow | undefined> {
    return this.db.selectFrom('webhooks').selectAll().where('webhookId', '=', webhookId).executeTakeFirst();
  }

  /** Deletes the webhook and (by cascade) its deliveries, pending ones included. */
  async delete(webhookId: string): Promise<boolean> {
    await this.db.deleteFrom('webhookDeliveries').where('webhookId', '=', webhookId).execute();
    const r = await this.db.deleteFrom('webhooks').where('webhookId', '=', webhookId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** The newest deliveries of a webhook, newest first. */
  deliveries(webhookId: string, limit: number): Promise<WebhookDeliveryRow[]> {
    return this.db
      .selectFrom('webhookDeliveries')
      .selectAll()
      .where('webhookId', '=', webhookId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /**
   * Queues one delivery of an event for every webhook subscribed to its type, in one insert-select (run in the
   * transaction of the change). `type` comes from the closed list of event types, whose names hold no LIKE wildcard.
   */
  async enqueue(e: { messageId: string; type: string; payload: string; at: string }): Promise<void> {
    const ts = dialectOf(this.db) === 'postgres' ? sql`timestamptz` : sql`text`;
    const text = (v: string) => sql<string>`cast(${v} as text)`;
    await this.db
      .insertInto('webhookDeliveries')
      .columns(['webhookId', 'messageId', 'eventType', 'payload', 'status', 'attempts', 'nextAttemptAt', 'createdAt', 'updatedAt'])
      .expression((eb) =>
        eb
          .selectFrom('webhooks')
          .select([
            'webhookId',
            text(e.messageId).as('messageId'),
            text(e.type).as('eventType'),
            text(e.payload).as('payload'),
            text('pending').as('status'),
            sql<number>`0`.as('attempts'),
            sql<string>`cast(${e.at} as ${ts})`.as('nextAttemptAt'),
            sql<string>`cast(${e.at} as ${ts})`.as('createdAt'),
            sql<string>`cast(${e.at} as ${ts})`.as('updatedAt'),
          ])
          .where('events', 'like', `%"${e.type}"%`),
      )
      .execute();
  }

  /**
   * Claims up to `limit` due deliveries for an attempt: moves their due time to the end of the attempt's lease (so
   * that an attempt cut short by a crash is made again once the lease ends) and counts the attempt. On PostgreSQL
   * rows another instance is claiming are skipped (`FOR UPDATE SKIP LOCKED`), so each attempt is made once; SQLite
   * runs the statement alone.
   */
  claim(limit: number, now: string, leaseUntil: string): Promise<WebhookDeliveryRow[]> {
    return this.db
      .updateTable('webhookDeliveries')
      .set({ nextAttemptAt: leaseUntil, attempts: sql<number>`attempts + 1`, updatedAt: now })
      .where('id', 'in', (eb) => {
        const due = eb
          .selectFrom('webhookDeliveries')
          .select('id')
          .where('status', '=', 'pending')
          .where('nextAttemptAt', '<=', now)
          .orderBy('nextAttemptAt')
          .limit(limit);
        return dialectOf(this.db) === 'postgres' ? due.forUpdate().skipLocked() : due;
      })
      .returningAll()
      .execute();
  }

  /** Records how an attempt ended, unless the row was claimed again meanwhile (its lease ran out). */
  async settle(
    id: number,
    attempts: number,
    change: Pick<WebhookDeliveryRow, 'status' | 'nextAttemptAt' | 'lastResponseStatus' | 'lastError' | 'updatedAt' | 'deliveredAt'>,
  ): Promise<void> {
    await this.db.updateTable('webhookDeliveries').set(change).where('id', '=', id).where('attempts', '=', attempts).execute();
  }

  /** Gives back a claim whose attempt was not made (the server is stopping): due again now, the attempt not counted. */
  async release(id: number, attempts: number, now: string): Promise<void> {
    await this.db
      .updateTable('webhookDeliveries')
      .set({ nextAttemptAt: now, attempts: attempts - 1, updatedAt: now })
      .where('id', '=', id)
      .where('attempts', '=', attempts)
      .where('status', '=', 'pending')
      .execute();
  }

  /** Deletes the finished deliveries of each webhook beyond its newest `keep` (pending ones are never deleted). */
  async prune(keep: number): Promise<number> {
    let deleted = 0;
    for (const { webhookId } of await this.db.selectFrom('webhooks').select('webhookId').execute()) {
      const cutoff = await this.db
        .selectFrom('webhookDeliveries')
        .select('id')
        .where('webhookId', '=', webhookId)
        .orderBy('id', 'desc')
        .limit(1)
        .offset(keep - 1)
        .executeTakeFirst();
      if (!cutoff) continue;
      const r = await this.db
        .deleteFrom('webhookDeliveries')
        .where('webhookId', '=', webhookId)
        .where('id', '<', cutoff.id)
        .where('status', '<>', 'pending')
        .executeTakeFirst();
      deleted += Number(r.numDeletedRows);
    }
    return deleted;
  }
}
