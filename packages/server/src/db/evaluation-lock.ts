import { type Kysely, sql } from 'kysely';
import type { Dialect } from './connect.js';
import type { Database } from './schema.js';

/**
 * The lock of a background loop that several instances run (the autopilot, the scheduled rollout steps): on
 * PostgreSQL one instance at a time does the work, the others skip that turn (a transaction-scoped advisory lock,
 * taken without waiting). Named by two integers, the loop's class and a hash of the schema, so that installations in
 * separate schemas of one database (and the test suites running side by side) do not hold each other back. SQLite
 * has no such lock (the workers of one file share no session): there `work` always runs, and each loop must guard
 * its own writes (applied only if the row is still as judged, under the mini program's lock).
 * @returns what `work` returned, or undefined when another instance holds the lock.
 */
export async function underEvaluationLock<T>(
  db: Kysely<Database>,
  dialect: Dialect,
  lockClass: number,
  work: () => Promise<T>,
): Promise<T | undefined> {
  if (dialect !== 'postgres') return work();
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ got: boolean }>`select pg_try_advisory_xact_lock(${lockClass}, hashtext(current_schema())) as got`.execute(
      trx,
    );
    return rows[0]?.got ? work() : undefined;
  });
}
