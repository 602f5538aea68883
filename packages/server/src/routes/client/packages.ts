import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../lib/app-error.js';
import { type ByteRange, byteWindow } from '../../modules/mini-programs/package-store.js';

/** What a `Range` header asks of a representation of `size` bytes (RFC 9110 §14). */
export type RangeAnswer = { kind: 'full' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

/**
 * Reads a `Range` header. One `bytes` range is served; anything else (another unit, several ranges, a syntax
 * error) is ignored and the whole file is sent, as RFC 9110 allows. A suffix longer than the file is the whole
 * file; a range starting at or after the end (or an empty suffix) cannot be satisfied.
 */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  const m = header && /^bytes=\s*(\d*)-(\d*)\s*$/.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Number.POSITIVE_INFINITY : Number(m[2]);
  if (last < start) return { kind: 'full' }; // invalid syntax: ignored
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end: Math.min(last, size - 1) } };
}

/** Whether an `If-None-Match` list names this ETag (weak comparison, as RFC 9110 §13.1.2 asks for GET). */
function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * `GET /client/v1/packages/<sha256>.zip`: the package's bytes, from whichever store holds them, ready for a CDN:
 * a success is immutable (the name is the content's hash), an error never cacheable. The body is cut at the
 * Content-Length announced: a store that sends more or fewer bytes fails the answer (the connection is closed),
 * never sends bytes a keep-alive connection would take for the next answer.
 */
const packages: FastifyPluginAsyncTypebox = async (app) => {
  /** Answers a GET of the stored file `sha256`: whole, a range, or 304. */
  async function serve(request: FastifyRequest, reply: FastifyReply, sha256: string, what: string, type: string) {
    const size = await app.packageStore.size(sha256);
    if (size === undefined) throw new AppError('NOT_FOUND', `There is no ${what}.`);
    const etag = `"${sha256}"`;
    reply.header('ETag', etag).header('Accept-Ranges', 'bytes');
    if (noneMatch(request.headers['if-none-match'], etag)) return reply.code(304).header('Cache-Control', IMMUTABLE).send();

    const ifRange = request.headers['if-range'];
    const answer = ifRange && ifRange !== etag ? ({ kind: 'full' } as const) : parseRange(request.headers.range, size);
    if (answer.kind === 'unsatisfiable') {
      throw new AppError('RANGE_NOT_SATISFIABLE', `The file has ${size} bytes; ask for a range within them.`, {
        headers: { 'Content-Range': `bytes */${size}` },
      });
    }
    reply.header('Cache-Control', IMMUTABLE).type(type);
    if (answer.kind === 'full') {
      reply.header('Content-Length', size);
      return reply.send(byteWindow(await app.packageStore.read(sha256), size));
    }
    const { start, end } = answer.range;
    reply
      .code(206)
      .header('Content-Range', `bytes ${start}-${end}/${size}`)
      .header('Content-Length', end - start + 1);
    return reply.send(byteWindow(await app.packageStore.read(sha256, answer.range), end - start + 1));
  }

  app.get(
    '/packages/:file',
    {
      schema: {
        tags: ['client API'],
        summary: 'Download a package by its SHA-256 (immutable; ETag, If-None-Match, Range)',
        security: [],
        params: Type.Object({ file: Type.String({ pattern: '^[0-9a-f]{64}\\.zip$' }) }),
      },
    },
    (request, reply) => serve(request, reply, request.params.file.slice(0, 64), `package ${request.params.file}`, 'application/zip'),
  );

  // A patch (the `patch.url` of a resource): the same model as a package (no session, content-addressed, immutable).
  app.get(
    '/patches/:file',
    {
      schema: {
        tags: ['client API'],
        summary: 'Download a patch by its SHA-256 (immutable; ETag, If-None-Match, Range)',
        description:
          'A patch (format `mpop-patch-v1`: fossil deltas per chunk, docs/host-app-teams.md) from the package of `patch.fromVersion` to the package of the resource that offered it.',
        security: [],
        params: Type.Object({ file: Type.String({ pattern: '^[0-9a-f]{64}\\.delta$' }) }),
      },
    },
    (request, reply) => serve(request, reply, request.params.file.slice(0, 64), `patch ${request.params.file}`, 'application/octet-stream'),
  );
};
export default packages;
