import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CreatedWebhook, CreateWebhookBody, Webhook, WebhookDelivery, WebhookEventType } from '@mpop/contracts';
import { WebhookEventTypes } from '@mpop/contracts';
import type { Database, WebhookDeliveryRow, WebhookRow } from '../../db/schema.js';
import { AppError, notFound, validationFailed } from '../../lib/app-error.js';
import { type SecretBox, webhookSecretAad } from '../../lib/crypto.js';
import { nowIso } from '../../lib/time.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { Principal } from '../auth/auth.service.js';
import { AddressRefused, hostOf, resolvePublic } from './address.js';
import { WebhookRepository } from './webhook.repository.js';

/** How many deliveries of each webhook are kept and listed. */
export const DELIVERIES_KEPT = 100;

/** Bounds the DNS look-up of a new webhook's host, so a name server that never answers cannot hold the request. */
const RESOLVE_TIMEOUT_MS = 5000;

/**
 * Webhooks (admin): where to POST which events. The signing secret is made here, shown once, and stored sealed
 * with the master key. Only http(s) URLs of public addresses are taken unless private targets are allowed.
 */
export class WebhookService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
    private readonly allowPrivate: boolean,
  ) {}

  async create(body: CreateWebhookBody, principal: Principal): Promise<CreatedWebhook> {
    const url = await checkWebhookUrl(body.url, this.allowPrivate);
    const events = WebhookEventTypes.filter((t) => body.events.includes(t));
    const webhookId = randomUUID();
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const row: WebhookRow = {
      webhookId,
      url: url.href,
      events: JSON.stringify(events),
      description: body.description?.trim() || null,
      secretSealed: this.box.seal(Buffer.from(secret, 'utf8'), webhookSecretAad(webhookId)),
      createdAt: nowIso(),
      createdBy: [...principal.actor].slice(0, 128).join(''),
    };
    await this.db.transaction().execute(async (trx) => {
      await new WebhookRepository(trx).insert(row);
      await new AuditRepository(trx).record({
        actor: principal.actor,
        address: principal.address,
        action: 'webhook.created',
        target: `webhook:${webhookId}`,
        // The origin only: a path or query may carry a receiver's own token.
        details: { url: url.origin, events },
      });
    });
    return { ...toWebhook(row), secret };
  }

  async list(): Promise<Webhook[]> {
    return (await new WebhookRepository(this.db).list()).map(toWebhook);
  }

  async delete(webhookId: string, principal: Principal): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const repo = new WebhookRepository(trx);
      const w = await repo.find(webhookId);
      if (!w) throw notFound(`The webhook ${webhookId}`);
      await repo.delete(webhookId);
      await new AuditRepository(trx).record({
        actor: principal.actor,
        address: principal.address,
        action: 'webhook.deleted',
        target: `webhook:${webhookId}`,
        details: { url: new URL(w.url).origin },
      });
    });
  }

  /** The last deliveries of a webhook, newest first. */
  async deliveries(webhookId: string): Promise<WebhookDelivery[]> {
    const repo = new WebhookRepository(this.db);
    if (!(await repo.find(webhookId))) throw notFound(`The webhook ${webhookId}`);
    return (await repo.deliveries(webhookId, DELIVERIES_KEPT)).map(toDelivery);
  }
}

const notAllowed = (detail: string) => new AppError('WEBHOOK_URL_NOT_ALLOWED', detail);
const ALLOW_HINT =
  'Webhooks are sent only to public addresses; to send them into a trusted private network, start the server with MPOP_WEBHOOK_ALLOW_PRIVATE=1.';

/** Parses a webhook URL and refuses what may not receive webhooks (another scheme; a non-public address). */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw validationFailed('url', 'Give an absolute URL, such as https://hooks.example.com/mpop.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw notAllowed(`Webhooks are POSTed over HTTP: the URL must start with https:// (or http://), not ${url.protocol}//.`);
  }
  if (allowPrivate) return url;
  const host = hostOf(url);
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), RESOLVE_TIMEOUT_MS);
    });
    await Promise.race([resolvePublic(host), timeout]).finally(() => clearTimeout(timer));
  } catch (err) {
    if (err instanceof AddressRefused) {
      throw notAllowed(
        `The webhook URL points to ${err.host === err.address ? err.address : `${err.host} (${err.address})`}, which is a loopback, private, link-local or other non-public address. ${ALLOW_HINT}`,
      );
    }
    throw notAllowed(`The host name ${host} could not be resolved, so it cannot be checked to be a public address. Check the URL.`);
  }
  return url;
}

function toWebhook(r: WebhookRow): Webhook {
  return {
    webhookId: r.webhookId,
    url: r.url,
    events: JSON.parse(r.events) as WebhookEventType[],
    description: r.description,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
  };
}

function toDelivery(r: WebhookDeliveryRow): WebhookDelivery {
  return {
    deliveryId: String(r.id),
    messageId: r.messageId,
    eventType: r.eventType as WebhookEventType,
    status: r.status,
    attempts: Number(r.attempts),
    lastResponseStatus: r.lastResponseStatus === null ? null : Number(r.lastResponseStatus),
    lastError: r.lastError,
    nextAttemptAt: r.nextAttemptAt,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    deliveredAt: r.deliveredAt,
  };
}
