import type { Executor } from '../../db/executor.js';
import { nowIso } from '../../lib/time.js';

/** Names of the `meta` rows. */
export const META = {
  /** The master key's check value: a constant sealed with the key (see master-key.ts). */
  masterKeyCheck: 'master_key_check',
  /** While a master key rotation runs: the same constant sealed with the new key. */
  masterKeyNextCheck: 'master_key_next_check',
} as const;

/** Facts about the installation itself, one row per name. */
export class MetaRepository {
  constructor(private readonly db: Executor) {}

  /** @returns the value, or undefined when the name has none. */
  async get(name: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('meta').select('value').where('name', '=', name).executeTakeFirst();
    return row?.value;
  }

  /** Inserts the value unless the name already has one (another process may be starting at the same time). */
  async insertIfAbsent(name: string, value: string): Promise<void> {
    await this.db
      .insertInto('meta')
      .values({ name, value, updatedAt: nowIso() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }

  async set(name: string, value: string): Promise<void> {
    await this.db
      .insertInto('meta')
      .values({ name, value, updatedAt: nowIso() })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value, updatedAt: nowIso() }))
      .execute();
  }

  async delete(name: string): Promise<void> {
    await this.db.deleteFrom('meta').where('name', '=', name).execute();
  }

  /** One sealed private key, to check a master key against data stored before check values existed. */
  async anySealedPrivateKey(): Promise<{ sealed: string; workspaceId: string; appId: string } | undefined> {
    const row = await this.db
      .selectFrom('devConfigs')
      .innerJoin('hostApps', 'hostApps.id', 'devConfigs.hostAppId')
      .select(['devConfigs.privateKeySealed as sealed', 'hostApps.workspaceId', 'hostApps.appId'])
      .limit(1)
      .executeTakeFirst();
    return row;
  }
}
