import { type Kysely, SqliteAdapter, type Transaction } from 'kysely';
import type { Dialect } from './connect.js';
import type { Database } from './schema.js';

/** A connection or a transaction: repositories run on either, so services decide the transaction boundary. */
export type Executor = Kysely<Database> | Transaction<Database>;

/** Which dialect an executor speaks, for the few queries that differ (dialect-specific indexes). */
export const dialectOf = (db: Executor): Dialect => (db.getExecutor().adapter instanceof SqliteAdapter ? 'sqlite' : 'postgres');
