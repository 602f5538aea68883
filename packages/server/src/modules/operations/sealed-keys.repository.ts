import type { Executor } from '../../db/executor.js';

/** Every secret sealed with the master key: the host apps' private keys, the webhooks' signing secrets. */
export class SealedKeysRepository {
  constructor(private readonly db: Executor) {}

  /** The sealed private keys with the host app each one is bound to, in a stable order. */
  list() {
    return this.db
      .selectFrom('devConfigs')
      .innerJoin('hostApps', 'hostApps.id', 'devConfigs.hostAppId')
      .select(['devConfigs.hostAppId', 'devConfigs.privateKeySealed as sealed', 'hostApps.workspaceId', 'hostApps.appId'])
      .orderBy('devConfigs.hostAppId')
      .execute();
  }

  /** Replaces one sealed key, only if it is still the one read (a key uploaded meanwhile is left alone). @returns whether it was replaced. */
  async reseal(hostAppId: number, from: string, to: string): Promise<boolean> {
    const r = await this.db
      .updateTable('devConfigs')
      .set({ privateKeySealed: to })
      .where('hostAppId', '=', hostAppId)
      .where('privateKeySealed', '=', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** The sealed signing secrets of the webhooks, in a stable order. */
  listWebhookSecrets() {
    return this.db.selectFrom('webhooks').select(['webhookId', 'secretSealed as sealed']).orderBy('webhookId').execute();
  }

  /** Replaces one sealed webhook secret, only if it is still the one read. @returns whether it was replaced. */
  async resealWebhookSecret(webhookId: string, from: string, to: string): Promise<boolean> {
    const r = await this.db
      .updateTable('webhooks')
      .set({ secretSealed: to })
      .where('webhookId', '=', webhookId)
      .where('secretSealed', '=', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
