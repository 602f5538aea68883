import { type Kysely, Migrator, type Migration, type MigrationProvider, sql } from 'kysely';
import type { Dialect } from '../connect.js';
import type { Database } from '../schema.js';
import { initial } from './0001_initial.js';
import { timestamptz } from './0002_timestamptz.js';
import { releases } from './0003_releases.js';
import { integrationKit } from './0004_integration_kit.js';
import { namesSso } from './0008_names_sso.js';

export interface MigrationContext {
  dialect: Dialect;
}

/** Migrations in order, one file each, sortable names. Bundled statically so `dist/` needs no globbing. */
function migrations(ctx: MigrationContext): Record<string, Migration> {
  return {
    '0001_initial': initial(ctx),
    '0002_timestamptz': timestamptz(ctx),
    '0003_releases': releases(ctx),
    '0004_integration_kit': integrationKit(ctx),
    '0008_names_sso': namesSso(ctx),
  };
}

/** Brings the schema up to date. Kysely's migrator takes a lock, so several processes may start at once. */
export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations({ dialect }) };
  // Migrations are written in snake_case: run them on a connection without the CamelCasePlugin.
  const raw = db.withoutPlugins() as unknown as Kysely<any>;
  // Kysely looks for its bookkeeping tables in every schema it can see: name ours, or another schema's tables in the
  // same database (another application, another mpop) would be taken for ours.
  const migrationTableSchema =
    dialect === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(raw)).rows[0]?.schema : undefined;
  const { error, results } = await new Migrator({ db: raw, provider, migrationTableSchema }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`Database migration ${failed ? `"${failed.migrationName}" ` : ''}failed: ${(error as Error).message ?? error}`);
  }
}
