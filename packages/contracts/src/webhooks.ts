import { type Static, Type } from 'typebox';
import { TimestampSchema } from './common.js';
import { WebhookEventTypes } from './constants.js';

/** Longest webhook URL accepted. */
export const WEBHOOK_URL_MAX = 2048;

export const WebhookEventTypeSchema = Type.Enum([...WebhookEventTypes], { description: 'An event type (`<resource>.<verb>`).' });

export const CreateWebhookBodySchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: WEBHOOK_URL_MAX,
      description:
        'Where deliveries are POSTed: an http(s) URL of a public address (loopback, private and link-local addresses are refused unless MPOP_WEBHOOK_ALLOW_PRIVATE=1).',
    }),
    events: Type.Array(WebhookEventTypeSchema, {
      minItems: 1,
      maxItems: WebhookEventTypes.length,
      description: 'The event types to deliver (at least one).',
    }),
    description: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBodySchema>;

export const WebhookSchema = Type.Object({
  webhookId: Type.String(),
  url: Type.String(),
  events: Type.Array(WebhookEventTypeSchema),
  description: Type.Union([Type.String(), Type.Null()]),
  createdAt: TimestampSchema,
  createdBy: Type.String(),
});
export type Webhook = Static<typeof WebhookSchema>;
export const WebhookListSchema = Type.Object({ items: Type.Array(WebhookSchema) });

export const CreatedWebhookSchema = Type.Object({
  ...WebhookSchema.properties,
  secret: Type.String({
    description:
      'The signing secret (`whsec_` + base64): shown in this answer only. Verify deliveries with it (the standardwebhooks package).',
  }),
});
export type CreatedWebhook = Static<typeof CreatedWebhookSchema>;

export const WebhookDeliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WebhookDeliveryStatuses)[number];

export const WebhookDeliverySchema = Type.Object({
  deliveryId: Type.String(),
  messageId: Type.String({ description: 'The `webhook-id` header: the same for every attempt of the delivery.' }),
  eventType: WebhookEventTypeSchema,
  status: Type.Enum([...WebhookDeliveryStatuses], {
    description: '`pending` (to be tried, or tried again), `delivered` (answered 2xx), `failed` (every attempt failed)',
  }),
  attempts: Type.Integer({ minimum: 0 }),
  lastResponseStatus: Type.Union([Type.Integer(), Type.Null()], {
    description: 'The HTTP status of the last answer; null when none came.',
  }),
  lastError: Type.Union([Type.String(), Type.Null()], { description: 'Why the last attempt failed, when it did.' }),
  nextAttemptAt: Type.Union([TimestampSchema, Type.Null()], { description: 'When it is tried next; null once delivered or failed.' }),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  deliveredAt: Type.Union([TimestampSchema, Type.Null()]),
});
export type WebhookDelivery = Static<typeof WebhookDeliverySchema>;
export const WebhookDeliveryListSchema = Type.Object({ items: Type.Array(WebhookDeliverySchema) });
