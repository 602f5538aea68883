import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

// Migrations use snake_case names directly: they run without the CamelCasePlugin.
export function initial({ dialect }: MigrationContext) {
  // The only dialect difference in the schema: how an auto-incrementing key is spelled.
  const autoId = (db: Kysely<any>, table: string) =>
    dialect === 'postgres'
      ? db.schema.createTable(table).addColumn('id', 'serial', (c) => c.primaryKey())
      : db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('users')
        .addColumn('username', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('username', 'varchar(64)', (c) => c.notNull().references('users.username').onDelete('cascade'))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('created_by', 'varchar(64)', (c) => c.notNull().references('users.username').onDelete('cascade'))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('last_used_at', 'varchar(32)')
        .execute();

      await autoId(db, 'host_apps')
        .addColumn('app_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('workspace_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('name_key', 'varchar(256)', (c) => c.notNull())
        .addColumn('source', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addUniqueConstraint('host_apps_app_id_workspace_id_key', ['app_id', 'workspace_id'])
        .addUniqueConstraint('host_apps_workspace_id_name_key_key', ['workspace_id', 'name_key'])
        .execute();
      await db.schema.createIndex('host_apps_app_id_idx').on('host_apps').column('app_id').execute();

      await db.schema
        .createTable('dev_configs')
        .addColumn('host_app_id', 'integer', (c) => c.primaryKey().references('host_apps.id').onDelete('cascade'))
        .addColumn('virtual_domain', 'varchar(253)', (c) => c.notNull())
        .addColumn('key_file_name', 'varchar(255)', (c) => c.notNull())
        .addColumn('key_bits', 'integer', (c) => c.notNull())
        .addColumn('key_format', 'varchar(8)', (c) => c.notNull())
        .addColumn('key_fingerprint', 'varchar(64)', (c) => c.notNull())
        .addColumn('public_key_pem', 'text', (c) => c.notNull())
        .addColumn('private_key_sealed', 'text', (c) => c.notNull())
        .addColumn('key_uploaded_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();

      await autoId(db, 'audit_events')
        .addColumn('at', 'varchar(32)', (c) => c.notNull())
        .addColumn('actor', 'varchar(128)', (c) => c.notNull())
        .addColumn('action', 'varchar(64)', (c) => c.notNull())
        .addColumn('target', 'varchar(256)', (c) => c.notNull())
        .addColumn('details', 'text')
        .execute();
      await db.schema.createIndex('audit_events_action_idx').on('audit_events').columns(['action', 'id']).execute();

      await db.schema
        .createTable('mini_programs')
        .addColumn('mini_program_id', 'varchar(16)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('released_version', 'varchar(64)')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('mini_program_packages')
        .addColumn('mini_program_id', 'varchar(16)', (c) => c.notNull().references('mini_programs.mini_program_id').onDelete('cascade'))
        .addColumn('version', 'varchar(64)', (c) => c.notNull())
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('main_url', 'varchar(512)', (c) => c.notNull())
        .addColumn('platform', 'varchar(16)')
        .addColumn('client_version_min', 'varchar(64)')
        .addColumn('client_version_max', 'varchar(64)')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('mini_program_packages_pkey', ['mini_program_id', 'version'])
        .execute();
      await db.schema.createIndex('mini_program_packages_sha256_idx').on('mini_program_packages').column('sha256').execute();

      await db.schema
        .createTable('host_app_mini_programs')
        .addColumn('host_app_id', 'integer', (c) => c.notNull().references('host_apps.id').onDelete('cascade'))
        .addColumn('mini_program_id', 'varchar(16)', (c) => c.notNull().references('mini_programs.mini_program_id').onDelete('cascade'))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('host_app_mini_programs_pkey', ['host_app_id', 'mini_program_id'])
        .execute();

      await db.schema
        .createTable('package_signatures')
        .addColumn('key_fingerprint', 'varchar(64)', (c) => c.notNull())
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('package_signatures_pkey', ['key_fingerprint', 'sha256'])
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const t of [
        'package_signatures',
        'host_app_mini_programs',
        'mini_program_packages',
        'mini_programs',
        'audit_events',
        'dev_configs',
        'host_apps',
        'api_tokens',
        'sessions',
        'users',
      ]) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  };
}
