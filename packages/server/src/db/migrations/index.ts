import { type Kysely, Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Dialect } from '../connect.js';
import type { Database } from '../schema.js';
import { initial } from './0001_initial.js';
import { timestamptz } from './0002_timestamptz.js';
import { usersTokens } from './0007_users_tokens.js';

export interface MigrationContext {
  dialect: Dialect;
}

/** Migrations in order, one file each, sortable names. Bundled statically so `dist/` needs no globbing. */
function migrations(ctx: MigrationContext): Record<string, Migration> {
  return {
    '0001_initial': initial(ctx),
    '0002_timestamptz': timestamptz(ctx),
    '0007_users_tokens': usersTokens(ctx),
  };
}

/** Brings the schema up to date. Kysely's migrator takes a lock, so several processes may start at once. */
export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations({ dialect }) };
  // Migrations are written in snake_case: run them on a connection without the CamelCasePlugin.
  const raw = db.withoutPlugins() as unknown as Kysely<any>;
  const { error, results } = await new Migrator({ db: raw, provider }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`Database migration ${failed ? `"${failed.migrationName}" ` : ''}failed: ${(error as Error).message ?? error}`);
  }
}
