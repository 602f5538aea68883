import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../../db/connect.js';

/** A table as the backup sees it: its columns in order, its primary key, and the tables it references. */
export interface TableInfo {
  name: string;
  columns: string[];
  /** Column types as the database names them (lower case), by column. */
  types: Record<string, string>;
  primaryKey: string[];
  references: string[];
}

/** Any table, any column: backup and restore work on tables they learn of by introspection. */
// biome-ignore lint/suspicious/noExplicitAny: the tables are only known at run time, by introspection
export type AnyDatabase = Kysely<any>;

/** Kysely's own bookkeeping: recorded as the backup's schema version, never copied as data. */
const MIGRATION_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

/**
 * The queries of backup and restore. They work on any table, by introspection, so tables that later migrations
 * add are backed up without changes here. Identifiers stay snake_case: pass a Kysely without the CamelCasePlugin.
 * On PostgreSQL everything is scoped to the current schema (the first of the search path), where mpop's tables are.
 */
export class BackupRepository {
  constructor(
    private readonly db: AnyDatabase,
    private readonly dialect: Dialect,
  ) {}

  /** Every data table, parents before the tables that reference them (so rows can be inserted in this order). */
  async tables(): Promise<TableInfo[]> {
    const tables = this.dialect === 'sqlite' ? await this.sqliteTables() : await this.postgresTables();
    return dependencyOrder(tables.filter((t) => !MIGRATION_TABLES.has(t.name)));
  }

  private async sqliteTables(): Promise<TableInfo[]> {
    // Ordinary tables only: a full-text index (a virtual table and its shadow tables) is derived data, which the
    // migrations create and the triggers on its table fill again as the rows are restored.
    const names = await sql<{ name: string }>`
      select name from pragma_table_list where schema = 'main' and type = 'table' and name not like 'sqlite\\_%' escape '\\'
      order by name`.execute(this.db);
    const out: TableInfo[] = [];
    for (const { name } of names.rows) {
      const cols = await sql<{
        name: string;
        type: string;
        pk: number;
      }>`select name, type, pk from pragma_table_info(${name}) order by cid`.execute(this.db);
      const fks = await sql<{ table: string }>`select distinct "table" from pragma_foreign_key_list(${name})`.execute(this.db);
      out.push({
        name,
        columns: cols.rows.map((c) => c.name),
        types: Object.fromEntries(cols.rows.map((c) => [c.name, c.type.toLowerCase()])),
        primaryKey: cols.rows
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name),
        references: fks.rows.map((f) => f.table).filter((t) => t !== name),
      });
    }
    return out;
  }

  private async postgresTables(): Promise<TableInfo[]> {
    const cols = await sql<{ table: string; column: string; type: string }>`
      select c.table_name as "table", c.column_name as "column", c.data_type as "type"
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
      order by c.table_name, c.ordinal_position`.execute(this.db);
    const pks = await sql<{ table: string; column: string }>`
      select cl.relname as "table", a.attname as "column"
      from pg_constraint co
      join pg_class cl on cl.oid = co.conrelid
      join pg_namespace n on n.oid = cl.relnamespace
      join lateral unnest(co.conkey) with ordinality as k(attnum, ord) on true
      join pg_attribute a on a.attrelid = co.conrelid and a.attnum = k.attnum
      where co.contype = 'p' and n.nspname = current_schema()
      order by cl.relname, k.ord`.execute(this.db);
    const fks = await sql<{ table: string; parent: string }>`
      select distinct ch.relname as "table", pa.relname as parent
      from pg_constraint co
      join pg_class ch on ch.oid = co.conrelid
      join pg_class pa on pa.oid = co.confrelid
      join pg_namespace n on n.oid = ch.relnamespace
      where co.contype = 'f' and n.nspname = current_schema()`.execute(this.db);
    const byName = new Map<string, TableInfo>();
    for (const c of cols.rows) {
      let t = byName.get(c.table);
      if (!t) {
        t = { name: c.table, columns: [], types: {}, primaryKey: [], references: [] };
        byName.set(c.table, t);
      }
      t.columns.push(c.column);
      t.types[c.column] = c.type.toLowerCase();
    }
    for (const p of pks.rows) byName.get(p.table)?.primaryKey.push(p.column);
    for (const f of fks.rows) if (f.parent !== f.table) byName.get(f.table)?.references.push(f.parent);
    return [...byName.values()];
  }

  /** The names of the migrations applied to this database, in order; empty when it has none (a new database). */
  async appliedMigrations(): Promise<string[]> {
    const exists =
      this.dialect === 'sqlite'
        ? await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = 'kysely_migration'`.execute(
            this.db,
          )
        : await sql<{ n: number }>`
            select count(*)::int as n from information_schema.tables where table_schema = current_schema() and table_name = 'kysely_migration'`.execute(
            this.db,
          );
    if (Number(exists.rows[0]?.n) === 0) return [];
    const rows = await this.db.selectFrom('kysely_migration').select('name').orderBy('name').execute();
    return rows.map((r) => r.name as string);
  }

  /**
   * Rows of a table in primary-key order, `limit` at a time after the key of the previous batch's last row (a
   * table without a primary key is paged by offset over all its columns).
   */
  async batch(table: TableInfo, after: unknown[] | undefined, offset: number, limit: number): Promise<Record<string, unknown>[]> {
    let q = this.db.selectFrom(table.name).selectAll();
    const order = table.primaryKey.length > 0 ? table.primaryKey : table.columns;
    for (const c of order) q = q.orderBy(c);
    if (table.primaryKey.length === 0) return q.limit(limit).offset(offset).execute();
    if (after) {
      const key = sql.join(table.primaryKey.map((c) => sql.ref(c)));
      const values = sql.join(after.map((v) => sql.val(v)));
      q = q.where(sql<boolean>`(${key}) > (${values})`);
    }
    return q.limit(limit).execute();
  }

  /** Tables that hold rows, with their counts (the first few): a restore goes only into an empty database. */
  async nonEmptyTables(tables: TableInfo[]): Promise<{ name: string; rows: number }[]> {
    const out: { name: string; rows: number }[] = [];
    for (const t of tables) {
      const row = await this.db
        .selectFrom(t.name)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirst();
      const n = Number(row?.n ?? 0);
      if (n > 0) out.push({ name: t.name, rows: n });
    }
    return out;
  }

  async insert(table: string, rows: Record<string, unknown>[]): Promise<void> {
    if (rows.length > 0) await this.db.insertInto(table).values(rows).execute();
  }

  /** PostgreSQL: moves every serial/identity sequence past the highest restored value. */
  async resetSequences(tables: TableInfo[]): Promise<void> {
    if (this.dialect !== 'postgres') return; // SQLite's AUTOINCREMENT follows the largest inserted id by itself
    for (const t of tables) {
      for (const c of t.columns) {
        const seq = await sql<{ seq: string | null }>`select pg_get_serial_sequence(${t.name}, ${c}) as seq`.execute(this.db);
        const name = seq.rows[0]?.seq;
        if (!name) continue;
        await sql`select setval(${name}, coalesce((select max(${sql.ref(c)}) from ${sql.table(t.name)}), 0) + 1, false)`.execute(this.db);
      }
    }
  }

  /** The SHA-256 of every package file the data refers to. */
  async packageDigests(): Promise<string[]> {
    const rows = await this.db.selectFrom('mini_program_packages').select('sha256').distinct().orderBy('sha256').execute();
    return rows.map((r) => r.sha256 as string);
  }
}

/** Parents first; tables that reference each other (a cycle) keep their relative order. */
function dependencyOrder(tables: TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: TableInfo[] = [];
  const visit = (t: TableInfo) => {
    if (done.has(t.name) || visiting.has(t.name)) return;
    visiting.add(t.name);
    for (const p of t.references) {
      const parent = byName.get(p);
      if (parent) visit(parent);
    }
    visiting.delete(t.name);
    done.add(t.name);
    out.push(t);
  };
  for (const t of [...tables].sort((a, b) => a.name.localeCompare(b.name))) visit(t);
  return out;
}
