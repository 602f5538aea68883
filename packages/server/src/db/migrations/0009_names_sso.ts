import type { Kysely } from 'kysely';
import { nameKey } from '../../lib/names.js';
import type { MigrationContext } from './index.js';

/**
 * Single sign-on and look-alike names.
 * - `users.sso_issuer` / `users.sso_subject`: the OpenID Connect identity a user was created from (null for local
 *   users). An identity maps to one user for good, whatever its name claims later say.
 * - `host_apps.name_key` is recomputed with the stricter key of lib/names.ts (compatibility forms and invisible
 *   characters folded), so names stored before compare like new ones. A row whose new key would clash with
 *   another's in its workspace keeps its old key: which of the two to rename is a person's decision.
 */
export function namesSso(_ctx: MigrationContext) {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('users').addColumn('sso_issuer', 'varchar(512)').execute();
      await db.schema.alterTable('users').addColumn('sso_subject', 'varchar(255)').execute();
      await db.schema.createIndex('users_sso_identity_key').on('users').columns(['sso_issuer', 'sso_subject']).unique().execute();

      const rows: { id: number; workspace_id: string; name: string; name_key: string }[] = await db
        .selectFrom('host_apps')
        .select(['id', 'workspace_id', 'name', 'name_key'])
        .orderBy('id')
        .execute();
      const taken = new Set(rows.map((r) => `${r.workspace_id}\n${r.name_key}`));
      for (const r of rows) {
        const key = nameKey(r.name);
        if (key === r.name_key || taken.has(`${r.workspace_id}\n${key}`)) continue;
        taken.delete(`${r.workspace_id}\n${r.name_key}`);
        taken.add(`${r.workspace_id}\n${key}`);
        await db.updateTable('host_apps').set({ name_key: key }).where('id', '=', r.id).execute();
      }
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('users_sso_identity_key').execute();
      await db.schema.alterTable('users').dropColumn('sso_subject').execute();
      await db.schema.alterTable('users').dropColumn('sso_issuer').execute();
    },
  };
}
