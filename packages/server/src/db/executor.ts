import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** A connection or a transaction: repositories run on either, so services decide the transaction boundary. */
export type Executor = Kysely<Database> | Transaction<Database>;
