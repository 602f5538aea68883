import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { type AuditEvent, AuditEventSchema, type AuditFilter, AuditFilterSchema, AuditQuerySchema, Page } from '@mpop/contracts';
import { AuditRepository } from '../../modules/audit/audit.repository.js';
import { responses } from '../schemas.js';

/** Instants are stored as ISO 8601 UTC: a filter given with an offset (`+08:00`) is compared in the same form. */
const normalise = (f: AuditFilter): AuditFilter => ({
  ...f,
  from: f.from && new Date(f.from).toISOString(),
  to: f.to && new Date(f.to).toISOString(),
});

const CSV_COLUMNS = ['at', 'actor', 'action', 'target', 'details', 'address'] as const;

/**
 * One CSV cell (RFC 4180). A cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR at the
 * start) is prefixed with `'`: names in the log come from users, and an export must not execute them.
 */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvLine(e: AuditEvent): string {
  const cells = [e.at, e.actor, e.action, e.target, e.details ? JSON.stringify(e.details) : '', e.address ?? ''];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** The audit log: every role may read it (it holds no secret), as a page of JSON or as a CSV export. */
const audit: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/audit-events',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['audit'],
        summary: 'The audit log, newest first, filtered by action, actor, target and time',
        querystring: AuditQuerySchema,
        response: responses({ 200: Page(AuditEventSchema) }),
      },
    },
    async (request) => {
      const { page = 1, pageSize = 20, ...filter } = request.query;
      return new AuditRepository(app.db).list({ ...normalise(filter), page, pageSize });
    },
  );

  app.get(
    '/audit-events.csv',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['audit'],
        summary: 'The filtered audit log as a CSV download (UTF-8 with BOM, every matching event, newest first)',
        querystring: AuditFilterSchema,
        produces: ['text/csv'],
        // A stream of CSV lines: typed as the stream it is, documented as the text it becomes.
        response: responses({
          200: Type.Unsafe<Readable>({
            type: 'string',
            description: 'CSV: at,actor,action,target,details,address (details as JSON; address empty when unknown)',
          }),
        }),
      },
    },
    async (request, reply) => {
      const events = new AuditRepository(app.db).all(normalise(request.query));
      async function* lines() {
        // The byte order mark makes spreadsheet programs read the file as UTF-8 (names may be Chinese).
        yield `\uFEFF${CSV_COLUMNS.join(',')}\r\n`;
        for await (const e of events) yield csvLine(e);
      }
      const stamp = new Date().toISOString().slice(0, 10);
      return reply
        .type('text/csv; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="mpop-audit-events-${stamp}.csv"`)
        .header('Cache-Control', 'no-store')
        .send(Readable.from(lines()));
    },
  );
};
export default audit;
