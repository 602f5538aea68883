import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CreatedWebhookSchema, CreateWebhookBodySchema, WebhookDeliveryListSchema, WebhookListSchema } from '@mpop/contracts';
import { principalOf } from '../../plugins/app/auth.js';
import { NoContent, responses } from '../schemas.js';

const WebhookParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/** Webhooks (admins only): subscriptions to platform events, POSTed signed as the Standard Webhooks specification says. */
const webhooks: FastifyPluginAsyncTypebox = async (app) => {
  const svc = app.services.webhooks;
  const tags = ['webhooks'];

  app.get(
    '/webhooks',
    {
      config: { role: 'admin' },
      schema: { tags, summary: 'List webhooks (never their secrets)', response: responses({ 200: WebhookListSchema }) },
    },
    async () => ({ items: await svc.list() }),
  );

  app.post(
    '/webhooks',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Add a webhook; the answer is the only time its signing secret is shown',
        description:
          'Only http(s) URLs whose host resolves to public addresses are taken (400 `WEBHOOK_URL_NOT_ALLOWED` otherwise, unless the server runs with MPOP_WEBHOOK_ALLOW_PRIVATE=1). ' +
          'Deliveries are POSTs of `{ type, timestamp, data }` with the headers `webhook-id`, `webhook-timestamp` and `webhook-signature`.',
        body: CreateWebhookBodySchema,
        response: responses({ 201: CreatedWebhookSchema }),
      },
    },
    async (request, reply) => reply.code(201).send(await svc.create(request.body, principalOf(request))),
  );

  app.delete(
    '/webhooks/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Delete a webhook and its deliveries (pending ones are not sent)',
        params: WebhookParams,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await svc.delete(request.params.id, principalOf(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'The last 100 deliveries of a webhook, newest first: status, attempts, last answer, next attempt',
        params: WebhookParams,
        response: responses({ 200: WebhookDeliveryListSchema }),
      },
    },
    async (request) => ({ items: await svc.deliveries(request.params.id) }),
  );
};
export default webhooks;
