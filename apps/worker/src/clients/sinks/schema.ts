/**
 * The warehouse table, shared by the PostgreSQL sink (pg) and the embedded sink (PGlite): its
 * name, its columns, and what `create table` makes on a new warehouse and `alter table` adds to
 * one created by an earlier version. Columns are only ever added, never renamed or dropped, so a
 * table of any earlier version migrates in place with its rows.
 */

/** The one thing both drivers have in common. pg.Pool and PGlite both satisfy it. */
export interface SqlQueryable {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

export interface TableName {
  schema: string | undefined;
  table: string;
  /** Quoted and ready for SQL: `"schema"."table"` or `"table"`. */
  sql: string;
}

/** Quotes an identifier so any name is safe in SQL (double quotes doubled). */
export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** `table` or `schema.table` (WAREHOUSE_TABLE). Names keep their case because they are quoted. */
export function parseTableName(name: string): TableName {
  const parts = name.split('.');
  const [first, second] = parts;
  if (parts.length > 2 || !first || (parts.length === 2 && !second)) {
    throw new Error(
      `WAREHOUSE_TABLE must be "table" or "schema.table", got ${JSON.stringify(name)}`,
    );
  }
  return second === undefined
    ? { schema: undefined, table: first, sql: quoteIdent(first) }
    : { schema: first, table: second, sql: `${quoteIdent(first)}.${quoteIdent(second)}` };
}

/** The table as v2.0 created it (the columns the README lists before the v2.1 ones). */
const V20_COLUMNS = [
  ['report_id', 'text primary key'],
  ['campaign_id', 'text not null'],
  ['status', 'text not null'],
  ['completion_timestamp', 'timestamptz not null'],
  ['end_time', 'timestamptz null'],
  ['total_calls_attempted', 'integer not null'],
  ['successful_contacts', 'integer not null'],
  ['contact_rate', 'double precision not null'],
  ['avg_handle_time_seconds', 'double precision not null'],
  ['complete', 'boolean not null'],
  ['report', 'jsonb not null'],
  ['written_at', 'timestamptz not null'],
] as const;

/**
 * Added in v2.1, in place on an existing table: each is nullable or has a constant default, so
 * the rows already there stay valid (revision 1, not final, null figures: a v2.0 report has none).
 */
const ADDED_COLUMNS = [
  ['revision', 'integer not null default 1'],
  ['final', 'boolean not null default false'],
  ['connect_rate', 'double precision null'],
  ['abandoned_calls', 'integer null'],
  ['abandon_rate', 'double precision null'],
  ['handled_calls', 'integer null'],
  ['avg_talk_seconds', 'double precision null'],
  ['avg_hold_seconds', 'double precision null'],
  ['avg_acw_seconds', 'double precision null'],
  ['completeness_verdict', 'text null'],
  // the campaign version whose configuration is archived in campaign_configurations (compliance)
  ['campaign_version', 'integer null'],
] as const;

const DEFINITIONS = [...V20_COLUMNS, ...ADDED_COLUMNS];

/** Every column, in table order. */
export const COLUMNS = DEFINITIONS.map(([name]) => name);
export type Column = (typeof COLUMNS)[number];

/** The SQL type of each column (for the casts of the upsert's parameters). */
export const columnType = (column: Column): string =>
  DEFINITIONS.find(([name]) => name === column)?.[1].split(' ')[0] ?? 'text';

const createTableSql = (table: TableName) =>
  `create table if not exists ${table.sql} (\n${DEFINITIONS.map(([n, d]) => `  ${n} ${d}`).join(',\n')}\n)`;

/**
 * One statement, so the table's exclusive lock is taken once. Several processes migrating at once
 * queue on that lock, and `if not exists` (checked under it) makes each later one a no-op.
 */
export const addColumnsSql = (table: TableName, columns: readonly Column[]) =>
  `alter table ${table.sql}\n${ADDED_COLUMNS.filter(([n]) => columns.includes(n))
    .map(([n, d]) => `  add column if not exists ${n} ${d}`)
    .join(',\n')}`;

const presentColumnsSql = `select attname from pg_attribute
where attrelid = to_regclass($1) and attnum > 0 and not attisdropped`;

/**
 * Concurrent `create ... if not exists` (and `add column if not exists`) from several processes
 * can still collide in the catalog; a second try settles it: unique_violation, duplicate_schema,
 * duplicate_table, duplicate_column.
 */
const CATALOG_RACE_CODES = new Set(['23505', '42P06', '42P07', '42701']);
const codeOf = (err: unknown) =>
  typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;

/**
 * Creates the schema part (if any) and the table when missing, then adds the columns a table
 * created by an earlier version lacks (its rows are kept). Looks at the catalog first, so a table
 * that is up to date is never locked. Safe when several processes start at once (see above).
 * Returns the columns that were missing when it looked (another process may have added them).
 */
export async function ensureTable(db: SqlQueryable, table: TableName): Promise<Column[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (table.schema !== undefined) {
        await db.query(`create schema if not exists ${quoteIdent(table.schema)}`);
      }
      await db.query(createTableSql(table));
      const { rows } = await db.query<{ attname: string }>(presentColumnsSql, [table.sql]);
      const present = new Set(rows.map((r) => r.attname));
      const missing = ADDED_COLUMNS.map(([n]) => n).filter((n) => !present.has(n));
      if (missing.length > 0) await db.query(addColumnsSql(table, missing));
      return missing;
    } catch (err) {
      if (attempt >= 3 || !CATALOG_RACE_CODES.has(codeOf(err) ?? '')) throw err;
    }
  }
}

/**
 * The configuration archive (compliance): one row per campaign id and campaign version, in the
 * report table's schema. Written with `on conflict do nothing`, so an unchanged configuration is
 * stored once and the first copy of a version is never overwritten.
 */
export const CONFIGURATION_TABLE = 'campaign_configurations';

export const configurationTableFor = (reports: TableName): TableName =>
  reports.schema === undefined
    ? { schema: undefined, table: CONFIGURATION_TABLE, sql: quoteIdent(CONFIGURATION_TABLE) }
    : {
        schema: reports.schema,
        table: CONFIGURATION_TABLE,
        sql: `${quoteIdent(reports.schema)}.${quoteIdent(CONFIGURATION_TABLE)}`,
      };

const createConfigurationTableSql = (table: TableName) => `create table if not exists ${table.sql} (
  campaign_id text not null,
  version integer not null,
  configuration jsonb not null,
  outbound_settings jsonb null,
  archived_at timestamptz not null,
  primary key (campaign_id, version)
)`;

/** Creates the configuration archive next to the report table (after ensureTable made the schema). */
export async function ensureConfigurationTable(
  db: SqlQueryable,
  reports: TableName,
): Promise<void> {
  const table = configurationTableFor(reports);
  for (let attempt = 1; ; attempt++) {
    try {
      await db.query(createConfigurationTableSql(table));
      return;
    } catch (err) {
      if (attempt >= 3 || !CATALOG_RACE_CODES.has(codeOf(err) ?? '')) throw err;
    }
  }
}
