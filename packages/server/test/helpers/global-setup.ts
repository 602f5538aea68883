import { randomBytes } from 'node:crypto';
import { ADMIN_URL, adminQuery, postgresReachable, REQUIRE_POSTGRES } from './postgres.js';

/**
 * Creates one fresh PostgreSQL database for this test run (dropped at the end) and hands its URL to the
 * workers in MPOP_TEST_PG_RUN_URL. Without a reachable server: fail when required, else skip loudly.
 * MPOP_TEST_SQLITE_ONLY=1 skips PostgreSQL on purpose (mutation testing).
 */
export default async function setup() {
  if (process.env.MPOP_TEST_PG_RUN_URL) return;
  // Mutation testing runs the suites hundreds of times: the SQLite half is enough there (see docs/TESTING.md).
  if (process.env.MPOP_TEST_SQLITE_ONLY === '1') {
    console.warn('\nMPOP_TEST_SQLITE_ONLY=1: the PostgreSQL variants of the suites are skipped.\n');
    return;
  }
  if (!(await postgresReachable())) {
    if (REQUIRE_POSTGRES)
      throw new Error(`MPOP_REQUIRE_POSTGRES=1 but PostgreSQL at ${ADMIN_URL} is unreachable; start it (pg_ctlcluster ... start).`);
    console.warn(
      `\n!!! PostgreSQL at ${ADMIN_URL} is unreachable: the PostgreSQL variants of the suites are SKIPPED.\n!!! Set MPOP_TEST_POSTGRES_URL, or MPOP_REQUIRE_POSTGRES=1 to make this an error.\n`,
    );
    return;
  }
  const name = `mpop_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  process.env.MPOP_TEST_PG_RUN_URL = url.toString();
  return async () => {
    delete process.env.MPOP_TEST_PG_RUN_URL;
    await adminQuery(`drop database if exists ${name} with (force)`);
  };
}
