import { type Selectable, sql } from 'kysely';
import type { AuditAction, AuditEvent, AuditFilter, PageOf } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';
import type { AuditEventsTable } from '../../db/schema.js';
import { nowIso } from '../../lib/time.js';

export interface AuditEntry {
  actor: string;
  /** From the closed list in @mpop/contracts (`AuditActions`). */
  action: AuditAction;
  target: string;
  details?: Record<string, unknown>;
  /** The client address of the request that made the change (`request.ip`); none from the command line. */
  address?: string;
}

/** `%text%` for LIKE, with the wildcards of `text` itself escaped (with `\`, named in the ESCAPE clause). */
const contains = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const toEvent = (r: Selectable<AuditEventsTable>): AuditEvent => ({
  at: r.at,
  actor: r.actor,
  action: r.action,
  target: r.target,
  ...(r.details ? { details: JSON.parse(r.details) } : {}),
  ...(r.address ? { address: r.address } : {}),
});

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
        address: entry.address ? entry.address.slice(0, 64) : null,
      })
      .execute();
  }

  /**
   * The events that pass a filter: `action` exactly, `actor` and `target` as a case-insensitive part, `from`
   * inclusive and `to` exclusive (ISO 8601 UTC, as stored).
   */
  private filtered(f: AuditFilter) {
    let q = this.db.selectFrom('auditEvents');
    if (f.action) q = q.where('action', '=', f.action);
    // LIKE needs an explicit ESCAPE to mean the same on SQLite and PostgreSQL; Kysely has no builder for it.
    for (const column of ['actor', 'target'] as const) {
      const text = f[column];
      if (text) q = q.where(sql<boolean>`lower(${sql.ref(column)}) like ${contains(text)} escape '\\'`);
    }
    if (f.from) q = q.where('at', '>=', f.from);
    if (f.to) q = q.where('at', '<', f.to);
    return q;
  }

  /** One page, newest first. */
  async list(opts: AuditFilter & { page: number; pageSize: number }): Promise<PageOf<AuditEvent>> {
    const q = this.filtered(opts);
    const [{ total }] = await q.select((eb) => eb.fn.countAll<number>().as('total')).execute();
    const rows = await q
      .selectAll()
      .orderBy('id', 'desc')
      .limit(opts.pageSize)
      .offset((opts.page - 1) * opts.pageSize)
      .execute();
    return { items: rows.map(toEvent), total: Number(total), page: opts.page, pageSize: opts.pageSize };
  }

  /** Every event that passes the filter, newest first, read in batches (for the CSV export of any size). */
  async *all(filter: AuditFilter, batch = 500): AsyncGenerator<AuditEvent> {
    let before: number | undefined;
    for (;;) {
      let q = this.filtered(filter);
      if (before !== undefined) q = q.where('id', '<', before);
      const rows = await q.selectAll().orderBy('id', 'desc').limit(batch).execute();
      for (const r of rows) yield toEvent(r);
      if (rows.length < batch) return;
      before = rows[rows.length - 1].id;
    }
  }
}
