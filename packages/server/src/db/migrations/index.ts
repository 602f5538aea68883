import { type Kysely, Migrator, type Migration, type MigrationProvider, sql } from 'kysely';
import type { Dialect } from '../connect.js';
import type { Database } from '../schema.js';
import { initial } from './0001_initial.js';
import { timestamptz } from './0002_timestamptz.js';
import { releases } from './0003_releases.js';
import { integrationKit } from './0004_integration_kit.js';
import { operations } from './0005_operations.js';
import { searchIndexes } from './0006_search_indexes.js';
import { usersTokens } from './0007_users_tokens.js';
import { auditActorWidth } from './0008_audit_actor_width.js';
import { namesSso } from './0009_names_sso.js';
import { openPlatform } from './0010_open_platform.js';
import { webhooks } from './0011_webhooks.js';
import { auditAddress } from './0012_audit_address.js';
import { manifestGeneration } from './0013_manifest_generation.js';
import { releaseKeys } from './0014_release_keys.js';
import { autopilot } from './0015_autopilot.js';
import { patches } from './0016_patches.js';
import { signingPending } from './0017_signing_pending.js';
import { stepsApplied } from './0018_steps_applied.js';
import { searchIndexNoPending } from './0019_search_index_no_pending.js';

export interface MigrationContext {
  dialect: Dialect;
  /** Tells the operator about something a migration had to do without (a missing privilege, an extension). */
  warn?: (message: string) => void;
}

/** Migrations in order, one file each, sortable names. Bundled statically so `dist/` needs no globbing. */
function migrations(ctx: MigrationContext): Record<string, Migration> {
  return {
    '0001_initial': initial(ctx),
    '0002_timestamptz': timestamptz(ctx),
    '0003_releases': releases(ctx),
    '0004_integration_kit': integrationKit(ctx),
    '0005_operations': operations(ctx),
    '0006_search_indexes': searchIndexes(ctx),
    '0007_users_tokens': usersTokens(ctx),
    '0008_audit_actor_width': auditActorWidth(ctx),
    '0009_names_sso': namesSso(ctx),
    '0010_open_platform': openPlatform(ctx),
    '0011_webhooks': webhooks(ctx),
    '0012_audit_address': auditAddress(ctx),
    '0013_manifest_generation': manifestGeneration(ctx),
    '0014_release_keys': releaseKeys(ctx),
    '0015_autopilot': autopilot(ctx),
    '0016_patches': patches(ctx),
    '0017_signing_pending': signingPending(ctx),
    '0018_steps_applied': stepsApplied(ctx),
    '0019_search_index_no_pending': searchIndexNoPending(ctx),
  };
}

/**
 * PostgreSQL: the schema the tables are created in (the first of the search path). Kysely's migrator looks for its
 * own tables in every schema unless told which one: a database with another mpop schema in it (tests, staging
 * copies) would make it skip creating them, then fail to find them.
 */
export async function migrationSchema(db: Kysely<any>, dialect: Dialect): Promise<string | undefined> {
  if (dialect !== 'postgres') return undefined;
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? undefined;
}

/**
 * Whether the schema has had exactly the migrations this version knows, read in one query: what most starts find.
 * Then the migrator is not needed; it checks its tables through the catalogue (each check reads every table's
 * columns, a few hundred milliseconds of a start on PostgreSQL) and takes its lock. Anything else (no table yet, a
 * migration to run, one this version does not know) is left to the migrator, which does or refuses it.
 */
async function upToDate(raw: Kysely<any>, dialect: Dialect, schema: string | undefined): Promise<boolean> {
  try {
    const table = schema === undefined ? sql.table('kysely_migration') : sql.table(`${schema}.kysely_migration`);
    const { rows } = await sql<{ name: string }>`select name from ${table}`.execute(raw);
    const known = knownMigrations(dialect);
    const names = rows.map((r) => r.name).sort();
    return names.length === known.length && names.every((name, i) => name === known[i]);
  } catch {
    return false; // no migration table yet: a new database
  }
}

/** Brings the schema up to date. Kysely's migrator takes a lock, so several processes may start at once. */
export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect, warn?: (message: string) => void): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations({ dialect, warn }) };
  // Migrations are written in snake_case: run them on a connection without the CamelCasePlugin.
  const raw = db.withoutPlugins() as unknown as Kysely<any>;
  const schema = await migrationSchema(raw, dialect);
  if (await upToDate(raw, dialect, schema)) return;
  const { error, results } = await whileOtherSchemasDrop(schema, () =>
    new Migrator({ db: raw, provider, migrationTableSchema: schema }).migrateToLatest(),
  );
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`Database migration ${failed ? `"${failed.migrationName}" ` : ''}failed: ${(error as Error).message ?? error}`, {
      cause: error,
    });
  }
}

/** The names of every migration this version knows, in order. */
export const knownMigrations = (dialect: Dialect): string[] => Object.keys(migrations({ dialect })).sort();

/** Brings the schema to exactly the migration `name` (a restore first rebuilds the schema its backup was made at). */
export async function migrateTo(db: Kysely<Database>, dialect: Dialect, name: string): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations({ dialect }) };
  const raw = db.withoutPlugins() as unknown as Kysely<any>;
  const schema = await migrationSchema(raw, dialect);
  const { error, results } = await whileOtherSchemasDrop(schema, () =>
    new Migrator({ db: raw, provider, migrationTableSchema: schema }).migrateTo(name),
  );
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`Database migration ${failed ? `"${failed.migrationName}" ` : ''}failed: ${(error as Error).message ?? error}`, {
      cause: error,
    });
  }
}

/**
 * Runs the migrator again (up to 5 times) when it failed because another schema of the database was dropped while it
 * looked: before it migrates, Kysely's migrator lists every table of every schema (`introspection.getTables`, which
 * resolves each table by its qualified name), and a schema dropped meanwhile fails that listing with PostgreSQL's
 * 3F000 naming the schema, or 42P01 naming one of its tables (`relation "t_1.kysely_migration_lock" does not exist`).
 * Nothing has been migrated then. Seen with several mpop schemas in one database (tests, staging copies). A failure
 * naming this installation's own schema or one of its tables, or any other failure, is returned at once.
 */
export async function whileOtherSchemasDrop<R extends { error?: unknown }>(
  schema: string | undefined,
  migrate: () => Promise<R>,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const result = await migrate();
    if (!otherSchemaGone(result.error, schema) || attempt === 5) return result;
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
  }
}

/** Whether `error` says that another schema than `schema`, or a table of another schema, no longer exists. */
function otherSchemaGone(error: unknown, schema: string | undefined): boolean {
  const err = error as { code?: string; message?: string } | undefined;
  if (schema === undefined || !err) return false;
  const message = String(err.message);
  if (err.code === '3F000') return !message.includes(`"${schema}"`);
  const table = err.code === '42P01' ? /^relation "([^".]+)\.[^"]+" does not exist$/.exec(message) : null;
  return table !== null && table[1] !== schema;
}
