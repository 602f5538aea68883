import type { Dialect } from '../connect.js';

/**
 * The column type of a timestamp: `timestamptz` on PostgreSQL (so the database can compare, index and range
 * over it), ISO 8601 UTC text on SQLite (which has no date type; ISO text sorts and compares correctly).
 * Both read back as ISO strings (PostgreSQL through the type parser in connect.ts).
 */
export const timestampType = (dialect: Dialect) => (dialect === 'postgres' ? 'timestamptz' : 'varchar(32)');
