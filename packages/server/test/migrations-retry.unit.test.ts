import { describe, expect, it } from 'vitest';
import { whileOtherSchemasDrop } from '../src/db/migrations/index.js';

/** What Kysely's migrator answers when its listing of every schema met one dropped meanwhile (PostgreSQL 3F000). */
const gone = (schema: string) => ({ error: Object.assign(new Error(`schema "${schema}" does not exist`), { code: '3F000' }) });
/** The same when the listing met one of that schema's tables (PostgreSQL 42P01, the name qualified). */
const tableGone = (name: string) => ({ error: Object.assign(new Error(`relation "${name}" does not exist`), { code: '42P01' }) });

describe('the migrator run again while other schemas are dropped', () => {
  it('runs it again when the failure names another schema, and returns the first success', async () => {
    const answers = [gone('t_other1'), tableGone('t_other2.kysely_migration_lock'), gone('t_other3'), { error: undefined, results: [] }];
    let runs = 0;
    const result = await whileOtherSchemasDrop('mine', async () => answers[runs++]);
    expect(runs).toBe(4);
    expect(result.error).toBeUndefined();
  });

  it("returns at once a failure naming this installation's own schema, or any other failure", async () => {
    for (const answer of [
      gone('mine'),
      tableGone('mine.kysely_migration_lock'),
      // A migration's own statement naming a table that is not there: a bug to report, not a race to wait out.
      tableGone('host_apps'),
      { error: Object.assign(new Error('permission denied for schema mine'), { code: '42501' }) },
    ]) {
      let runs = 0;
      const result = await whileOtherSchemasDrop('mine', async () => {
        runs++;
        return answer;
      });
      expect(runs).toBe(1);
      expect(result).toBe(answer);
    }
  });

  it('gives up after five runs, with the last failure', async () => {
    let runs = 0;
    const result = await whileOtherSchemasDrop('mine', async () => {
      runs++;
      return gone(`t_${runs}`);
    });
    expect(runs).toBe(5);
    expect(String((result.error as Error).message)).toContain('t_5');
  });
});
