import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { timestampType } from './column-types.js';
import type { MigrationContext } from './index.js';

/** The built-in organisation, created here and never deleted. */
const PLATFORM = 'platform';

/**
 * The open platform: organisations and their members, association requests of mini programs to host apps, and the
 * review of each package version.
 * - Every mini program belongs to an organisation (`mini_programs.org_id`: no foreign key, which SQLite cannot add
 *   to an existing table with a default; organisations are never deleted); those that exist move into the built-in `platform`, which needs
 *   no review, so an upgraded installation releases as before.
 * - Each existing authorisation of a mini program for a host app becomes an approved association.
 * - Each existing package version gets a review in `draft`, without checks (they are made at upload).
 * - `users.role` and `api_tokens.role` keep their NOT NULL column: a member-only user (no platform role) is stored
 *   as `none` (see user.repository.ts), since SQLite cannot make an existing column nullable without rebuilding the
 *   table and every foreign key to it.
 * - At most one version of a mini program is in review, and at most one pending or approved association per mini
 *   program and host app: partial unique indexes, so two requests at once cannot both pass.
 */
export function openPlatform({ dialect }: MigrationContext) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<any>) {
      const now = new Date().toISOString();
      await db.schema
        .createTable('organisations')
        .addColumn('org_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('name_key', 'varchar(256)', (c) => c.notNull().unique())
        .addColumn('review_required', 'integer', (c) => c.notNull())
        .addColumn('suspended_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      // Made here only for the mini programs that exist; otherwise with the first one registered in it (see
      // OrganisationRepository.ensurePlatform), so a new or restored database starts with empty tables.
      if (await db.selectFrom('mini_programs').select('mini_program_id').limit(1).executeTakeFirst()) {
        await db
          .insertInto('organisations')
          .values({
            org_id: PLATFORM,
            name: 'Platform',
            name_key: 'platform',
            review_required: 0,
            suspended_at: null,
            created_at: now,
            updated_at: now,
          })
          .execute();
      }

      await db.schema
        .createTable('memberships')
        .addColumn('org_id', 'varchar(64)', (c) => c.notNull().references('organisations.org_id').onDelete('cascade'))
        .addColumn('username', 'varchar(64)', (c) => c.notNull().references('users.username').onDelete('cascade'))
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('memberships_pkey', ['org_id', 'username'])
        .execute();
      await db.schema.createIndex('memberships_username_idx').on('memberships').column('username').execute();

      await db.schema
        .alterTable('mini_programs')
        .addColumn('org_id', 'varchar(64)', (c) => c.notNull().defaultTo(PLATFORM))
        .execute();
      await db.schema.createIndex('mini_programs_org_id_idx').on('mini_programs').column('org_id').execute();

      const autoId = (table: string) =>
        dialect === 'postgres'
          ? db.schema.createTable(table).addColumn('id', 'serial', (c) => c.primaryKey())
          : db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

      await autoId('associations')
        .addColumn('association_id', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('mini_program_id', 'varchar(16)', (c) => c.notNull().references('mini_programs.mini_program_id').onDelete('cascade'))
        .addColumn('workspace_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('app_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('note', 'varchar(1000)')
        .addColumn('reason', 'varchar(1000)')
        .addColumn('requested_by', 'varchar(160)', (c) => c.notNull())
        .addColumn('requested_at', ts, (c) => c.notNull())
        .addColumn('decided_by', 'varchar(160)')
        .addColumn('decided_at', ts)
        .execute();
      await db.schema
        .createIndex('associations_open_key')
        .on('associations')
        .columns(['mini_program_id', 'workspace_id', 'app_id'])
        .unique()
        .where(sql.ref('state'), 'in', ['pending', 'approved'])
        .execute();
      await db.schema.createIndex('associations_host_app_idx').on('associations').columns(['workspace_id', 'app_id']).execute();

      await db.schema
        .createTable('reviews')
        .addColumn('mini_program_id', 'varchar(16)', (c) => c.notNull())
        .addColumn('version', 'varchar(64)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('checks', 'text', (c) => c.notNull())
        .addColumn('changes', 'text', (c) => c.notNull())
        .addColumn('manifest', 'text')
        .addColumn('submitted_by', 'varchar(160)')
        .addColumn('submitted_at', ts)
        .addColumn('decided_by', 'varchar(160)')
        .addColumn('decided_at', ts)
        .addColumn('note', 'varchar(1000)')
        .addColumn('reason', 'varchar(1000)')
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('reviews_pkey', ['mini_program_id', 'version'])
        .addForeignKeyConstraint(
          'reviews_package_fkey',
          ['mini_program_id', 'version'],
          'mini_program_packages',
          ['mini_program_id', 'version'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('reviews_one_open_key')
        .on('reviews')
        .column('mini_program_id')
        .unique()
        .where(sql.ref('state'), '=', 'in-review')
        .execute();
      await db.schema.createIndex('reviews_state_idx').on('reviews').columns(['state', 'updated_at']).execute();

      const emptyChanges = JSON.stringify({
        fromVersion: null,
        filesAdded: [],
        filesRemoved: [],
        filesChanged: [],
        sizeDelta: 0,
        permissionsAdded: [],
        domainsAdded: [],
      });
      await sql`insert into reviews (mini_program_id, version, state, checks, changes, updated_at)
        select mini_program_id, version, 'draft', '[]', ${emptyChanges}, created_at from mini_program_packages`.execute(db);

      const authorisations: { mini_program_id: string; workspace_id: string; app_id: string; created_at: string | Date }[] = await db
        .selectFrom('host_app_mini_programs as a')
        .innerJoin('host_apps as h', 'h.id', 'a.host_app_id')
        .select(['a.mini_program_id', 'h.workspace_id', 'h.app_id', 'a.created_at'])
        .execute();
      for (const a of authorisations) {
        await db
          .insertInto('associations')
          .values({
            association_id: randomUUID(),
            mini_program_id: a.mini_program_id,
            workspace_id: a.workspace_id,
            app_id: a.app_id,
            state: 'approved',
            requested_by: 'system',
            requested_at: a.created_at,
            decided_by: 'system',
            decided_at: a.created_at,
          })
          .execute();
      }
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('reviews').execute();
      await db.schema.dropTable('associations').execute();
      await db.schema.dropIndex('mini_programs_org_id_idx').execute();
      await db.schema.alterTable('mini_programs').dropColumn('org_id').execute();
      await db.schema.dropTable('memberships').execute();
      await db.schema.dropTable('organisations').execute();
      await db.updateTable('users').set({ role: 'viewer' }).where('role', '=', 'none').execute();
      await db.updateTable('api_tokens').set({ role: 'viewer' }).where('role', '=', 'none').execute();
    },
  };
}
