import fp from 'fastify-plugin';
import { AppError } from '../../lib/app-error.js';

/**
 * Ajv coerces the text "Infinity" (or "1e400") of a query or path parameter to a number without checking that it
 * is finite, and then skips `minimum`/`maximum` for it: `?page=Infinity` would reach the database. JSON bodies
 * cannot carry such numbers (the type check refuses them), so the query and the path are checked here, once.
 */
export default fp(
  async (app) => {
    app.addHook('preHandler', async (request) => {
      for (const [where, values] of [
        ['query', request.query],
        ['params', request.params],
      ] as const) {
        for (const [name, value] of Object.entries((values ?? {}) as Record<string, unknown>)) {
          if (typeof value === 'number' && !Number.isFinite(value)) {
            throw new AppError('VALIDATION_FAILED', `The request is invalid: ${where}.${name} must be a finite number.`, {
              errors: [{ path: `${where}.${name}`, message: 'must be a finite number' }],
            });
          }
        }
      }
    });
  },
  { name: 'mpop-finite-numbers' },
);
