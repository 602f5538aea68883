import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { AppError, type FieldError } from '../../lib/app-error.js';
import { unsafeTextReason } from '../../lib/names.js';

/** The first strings (values or keys) that may not reach storage, with their paths; walked without recursion. */
export function findUnsafe(root: unknown, prefix: string, limit = 5): FieldError[] {
  const found: FieldError[] = [];
  const stack: [unknown, string][] = [[root, prefix]];
  while (stack.length > 0 && found.length < limit) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      const reason = unsafeTextReason(value);
      if (reason) found.push({ path: path || '(root)', message: reason });
    } else if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
      for (const [k, v] of Object.entries(value)) {
        const child = path ? `${path}.${k}` : k;
        const keyReason = unsafeTextReason(k);
        if (keyReason) found.push({ path: path || '(root)', message: `has a key that ${keyReason}` });
        stack.push([v, child]);
      }
    }
  }
  return found;
}

/**
 * Whether JSON text may hold a string that findUnsafe refuses. A NUL or a lone surrogate can only come from a `\u`
 * escape (raw control characters are not JSON, and bytes that are not UTF-8 decode to U+FFFD): without one, the
 * walk has nothing to find.
 */
export const jsonMayBeUnsafe = (text: string) => text.includes('\\u');

/**
 * Defence in depth for every route, present and future: a NUL or a lone surrogate anywhere in the path parameters,
 * the query or a JSON body is refused with 400 before validation, so it can reach neither a query (PostgreSQL
 * answers a NUL with an error, which would be a 500) nor storage. Names get stricter rules in lib/names.ts.
 *
 * The walks run only where such a string can be: the path and query only when the URL holds a `%` escape (a raw NUL
 * is refused by Node's HTTP parser, and raw bytes decode to characters below U+0100), and a JSON body only when its
 * text holds a `\u` escape (the JSON parser, replaced here by the same parser behind that check, tells). Bodies of
 * other types are walked whole; multipart forms are checked field by field by their own plugin.
 */
export default fp(async (app) => {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, text, done) => {
    if (!jsonMayBeUnsafe(text as string)) request.jsonWithoutEscapes = true;
    parseJson(request, text as string, done);
  });
  app.decorateRequest('jsonWithoutEscapes', false);
  app.addHook('preValidation', function refuseHostileInput(request: FastifyRequest, _reply, done) {
    const errors = request.url.includes('%') ? [...findUnsafe(request.params, ''), ...findUnsafe(request.query, 'query')] : [];
    if (request.body !== undefined && !request.jsonWithoutEscapes && !request.isMultipart?.()) errors.push(...findUnsafe(request.body, ''));
    if (errors.length > 0) {
      return done(
        new AppError('VALIDATION_FAILED', `The request is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`, {
          errors,
        }),
      );
    }
    done();
  });
});

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the JSON parser when the body's text holds no `\u` escape: the hostile-input walk can skip it. */
    jsonWithoutEscapes: boolean;
  }
}
