import type { AuditAction, AuditEvent, PageOf } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';
import { nowIso } from '../../lib/time.js';

export interface AuditEntry {
  actor: string;
  /** From the closed list in @mpop/contracts (`AuditActions`). */
  action: AuditAction;
  target: string;
  details?: Record<string, unknown>;
}

/** The audit log. Callers pass the transaction of the change, so an event exists exactly when the change does. */
export class AuditRepository {
  constructor(private readonly db: Executor) {}

  /** Records one event. `details` must never hold a secret (keys, passwords, tokens). */
  async record(entry: AuditEntry): Promise<void> {
    await this.db
      .insertInto('auditEvents')
      .values({
        at: nowIso(),
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        details: entry.details ? JSON.stringify(entry.details) : null,
      })
      .execute();
  }

  /** Newest first. */
  async list(opts: { page: number; pageSize: number; action?: AuditAction }): Promise<PageOf<AuditEvent>> {
    let q = this.db.selectFrom('auditEvents');
    if (opts.action) q = q.where('action', '=', opts.action);
    const [{ total }] = await q.select((eb) => eb.fn.countAll<number>().as('total')).execute();
    const rows = await q
      .selectAll()
      .orderBy('id', 'desc')
      .limit(opts.pageSize)
      .offset((opts.page - 1) * opts.pageSize)
      .execute();
    return {
      items: rows.map((r) => ({
        at: r.at,
        actor: r.actor,
        action: r.action,
        target: r.target,
        ...(r.details ? { details: JSON.parse(r.details) } : {}),
      })),
      total: Number(total),
      page: opts.page,
      pageSize: opts.pageSize,
    };
  }
}
