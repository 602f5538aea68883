import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { fileFieldsForOpenApi } from '../app/multipart.js';

/**
 * The OpenAPI document, generated from the route schemas (so it cannot drift from what the server validates).
 * Registered at the root before the routes: it learns them as they are added, the client API's included.
 */
export const openApiDocument = fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'mpop: Mini Program Open Platform',
          version: '0.1.0',
          description: 'Admin API (/api/v1) and client API (/client/v1). Errors are RFC 9457 problem details with a stable `code`.',
        },
        components: {
          securitySchemes: {
            session: { type: 'apiKey', in: 'cookie', name: 'mpop_session' },
            token: { type: 'http', scheme: 'bearer' },
          },
        },
        security: [{ session: [] }, { token: [] }],
      },
      transformObject: (generated) =>
        fileFieldsForOpenApi('openapiObject' in generated ? generated.openapiObject : generated.swaggerObject),
    });
  },
  { name: 'mpop-openapi' },
);

/** Swagger UI at /api/docs, in the browser-facing scope (its pages get the security headers). */
export const apiDocsPage = fp(
  async (app) => {
    // No validator badge: it would load an image from validator.swagger.io, which the CSP (rightly) refuses.
    await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { validatorUrl: null } });
  },
  { name: 'mpop-api-docs' },
);
