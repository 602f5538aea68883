import { describe, expect, it } from 'vitest';
import { dialects, startApp } from './helpers/app.js';

describe.skipIf(!dialects.includes('postgres'))('a PostgreSQL database shared with another schema', () => {
  it('migrates mpop in its own schema while another schema of the database already has Kysely migration tables', async () => {
    const other = await startApp('postgres'); // leaves kysely_migration and kysely_migration_lock in its schema
    try {
      const mine = await startApp('postgres');
      expect((await mine.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      await mine.destroy();
    } finally {
      await other.destroy();
    }
  });
});
