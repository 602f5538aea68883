import pg from 'pg';

/** The server the PostgreSQL suites use; on these machines one runs at 127.0.0.1:5432 with trust auth. */
export const ADMIN_URL = process.env.MPOP_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
/** In CI the PostgreSQL suites are mandatory: an unreachable server fails the run instead of skipping. */
export const REQUIRE_POSTGRES = process.env.MPOP_REQUIRE_POSTGRES === '1';

export async function postgresReachable(url = ADMIN_URL): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function adminQuery(sql: string, url = ADMIN_URL): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `postgres://…/db` with the search path set to one schema: each app instance of a test gets its own. */
export function urlWithSchema(databaseUrl: string, schema: string): string {
  const u = new URL(databaseUrl);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}
