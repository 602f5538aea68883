/**
 * The events a webhook can subscribe to. Association and review events come from the open platform (organisations
 * and their mini programs), release events from controlled releases and their autopilot.
 */
export const WebhookEventTypes = [
  'association.requested',
  'association.approved',
  'association.rejected',
  'association.revoked',
  'review.submitted',
  'review.approved',
  'review.rejected',
  'release.created',
  'release.completed',
  'release.paused',
  'release.rolled-back',
  'release.taken-down',
  'release.advanced',
] as const;

export type WebhookEventType = (typeof WebhookEventTypes)[number];
