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
 * Defence in depth for every route, present and future: a NUL or a lone surrogate anywhere in the path parameters,
 * the query or a JSON body is refused with 400 before validation, so it can reach neither a query (PostgreSQL
 * answers a NUL with an error, which would be a 500) nor storage. Names get stricter rules in lib/names.ts.
 */
export default fp(async (app) => {
  app.addHook('preValidation', (request: FastifyRequest, _reply, done) => {
    const errors = [
      ...findUnsafe(request.params, ''),
      ...findUnsafe(request.query, 'query'),
      ...(request.isMultipart?.() ? [] : findUnsafe(request.body, '')),
    ];
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
