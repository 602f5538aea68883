import { type Kysely, SqliteAdapter, sql, type Transaction } from 'kysely';
import type { Dialect } from './connect.js';
import type { Database } from './schema.js';

/** A connection or a transaction: repositories run on either, so services decide the transaction boundary. */
export type Executor = Kysely<Database> | Transaction<Database>;

/** Which dialect an executor speaks, for the few queries that differ (dialect-specific indexes). */
export const dialectOf = (db: Executor): Dialect => (db.getExecutor().adapter instanceof SqliteAdapter ? 'sqlite' : 'postgres');

/**
 * Marks a statement that runs on every request of its kind (the session's, the search's): on PostgreSQL it is a named
 * prepared statement, parsed and planned once per connection (PostgreSQL may then keep one plan for every value,
 * when it costs no more than planning each: see PREPARE). A comment, so SQLite and the text's meaning are unchanged.
 * Use `prepared` (below): `.modifyFront(prepared)` in a Kysely select, or first in a raw `sql` statement. Mark only
 * statements of a fixed shape (no list whose length varies) that name their columns: a prepared `select *` fails
 * once a migration adds a column.
 */
export const PREPARED = '/* prepared */';

/** The mark of PREPARED as SQL, for a Kysely select (`.modifyFront(prepared)`) or a raw `sql` statement. */
export const prepared = sql.raw(PREPARED);
