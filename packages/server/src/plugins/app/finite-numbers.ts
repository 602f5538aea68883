import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../lib/app-error.js';
import { routeHooks } from './route-hooks.js';

/**
 * Ajv coerces the text "Infinity" (or "1e400") of a query or path parameter to a number without checking that it
 * is finite, and then skips `minimum`/`maximum` for it: `?page=Infinity` would reach the database. JSON bodies
 * cannot carry such numbers (the type check refuses them), so the query and the path are checked here, once.
 */
export default fp(
  async (app) => {
    const check = async (request: FastifyRequest) => {
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
    };
    // Only routes that take a query or path parameters: the others (the client API's JSON routes) skip the hook.
    app.addHook('onRoute', (route) => {
      if (!route.schema?.querystring && !route.schema?.params) return;
      route.preHandler = [check, ...routeHooks(route.preHandler)];
    });
  },
  { name: 'mpop-finite-numbers' },
);
