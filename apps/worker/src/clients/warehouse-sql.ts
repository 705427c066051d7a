import { isDeepStrictEqual } from 'node:util';
import type { Report } from '@wrapup/shared';
import type { WriteResult } from './warehouse';

/**
 * The warehouse table in SQL, shared by the PostgreSQL sink (pg) and the embedded sink (PGlite):
 * both speak real PostgreSQL, so the DDL, the upsert and the read-back live here once.
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

/** The contract's columns, in order. */
export const COLUMNS = [
  'report_id',
  'campaign_id',
  'status',
  'completion_timestamp',
  'end_time',
  'total_calls_attempted',
  'successful_contacts',
  'contact_rate',
  'avg_handle_time_seconds',
  'complete',
  'report',
  'written_at',
] as const;
export type Column = (typeof COLUMNS)[number];

const createTableSql = (table: TableName) => `create table if not exists ${table.sql} (
  report_id text primary key,
  campaign_id text not null,
  status text not null,
  completion_timestamp timestamptz not null,
  end_time timestamptz null,
  total_calls_attempted integer not null,
  successful_contacts integer not null,
  contact_rate double precision not null,
  avg_handle_time_seconds double precision not null,
  complete boolean not null,
  report jsonb not null,
  written_at timestamptz not null
)`;

const buildUpsertSql = (table: TableName) => `insert into ${table.sql} (${COLUMNS.join(', ')})
values ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6, $7, $8, $9, $10, $11::jsonb, $12::timestamptz)
on conflict (report_id) do update set
${COLUMNS.filter((c) => c !== 'report_id')
  .map((c) => `  ${c} = excluded.${c}`)
  .join(',\n')}
returning ${COLUMNS.join(', ')}`;

/** The statement text per table, built once (the same text also lets a driver reuse its plan). */
const upsertTexts = new Map<string, string>();
const upsertSql = (table: TableName) => {
  let text = upsertTexts.get(table.sql);
  if (text === undefined) upsertTexts.set(table.sql, (text = buildUpsertSql(table)));
  return text;
};

/** Concurrent `create ... if not exists` can still collide in the catalog; a second try settles it. */
const CATALOG_RACE_CODES = new Set(['23505', '42P06', '42P07']);
const codeOf = (err: unknown) =>
  typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;

/** Creates the schema part (if any) and the table when missing. */
export async function ensureTable(db: SqlQueryable, table: TableName): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (table.schema !== undefined) {
        await db.query(`create schema if not exists ${quoteIdent(table.schema)}`);
      }
      await db.query(createTableSql(table));
      return;
    } catch (err) {
      if (attempt >= 3 || !CATALOG_RACE_CODES.has(codeOf(err) ?? '')) throw err;
    }
  }
}

/** The values a report turns into (timestamps as instants, the report as plain JSON). */
export interface ReportRow {
  report_id: string;
  campaign_id: string;
  status: string;
  completion_timestamp: Date;
  end_time: Date | null;
  total_calls_attempted: number;
  successful_contacts: number;
  contact_rate: number;
  avg_handle_time_seconds: number;
  complete: boolean;
  report: unknown;
  written_at: Date;
}

function instant(value: string, field: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`report ${field} is not a timestamp: ${value}`);
  return date;
}

export function rowFor(report: Report, writtenAt: Date): ReportRow {
  return {
    report_id: report.reportId,
    campaign_id: report.campaignId,
    status: report.metrics.status,
    completion_timestamp: instant(report.completionTimestamp, 'completionTimestamp'),
    end_time: report.endTime === null ? null : instant(report.endTime, 'endTime'),
    total_calls_attempted: report.metrics.totalCallsAttempted,
    successful_contacts: report.metrics.successfulContacts,
    contact_rate: report.metrics.contactRate,
    avg_handle_time_seconds: report.metrics.avgHandleTimeSeconds,
    complete: report.dataComplete,
    // What JSON can carry (drops undefined), i.e. exactly what jsonb receives.
    report: JSON.parse(JSON.stringify(report)) as unknown,
    written_at: writtenAt,
  };
}

const paramsFor = (row: ReportRow): unknown[] => [
  row.report_id,
  row.campaign_id,
  row.status,
  row.completion_timestamp.toISOString(),
  row.end_time?.toISOString() ?? null,
  row.total_calls_attempted,
  row.successful_contacts,
  row.contact_rate,
  row.avg_handle_time_seconds,
  row.complete,
  JSON.stringify(row.report),
  row.written_at.toISOString(),
];

const TIMESTAMP_COLUMNS = new Set<Column>(['completion_timestamp', 'end_time', 'written_at']);

function normalize(column: Column, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (TIMESTAMP_COLUMNS.has(column)) {
    if (value instanceof Date) return value.getTime();
    return typeof value === 'string' || typeof value === 'number' ? new Date(value).getTime() : NaN;
  }
  if (column === 'report' && typeof value === 'string') return JSON.parse(value) as unknown;
  return value;
}

/** Columns whose stored value differs from what was sent (timestamps as instants, jsonb deep). */
export function diffRow(expected: ReportRow, actual: Record<string, unknown>): Column[] {
  return COLUMNS.filter(
    (c) => !isDeepStrictEqual(normalize(c, expected[c]), normalize(c, actual[c])),
  );
}

export class WarehouseMismatchError extends Error {
  constructor(
    readonly reportId: string,
    /** The differing columns; empty when the row was not there at all. */
    readonly columns: Column[],
  ) {
    super(
      columns.length === 0
        ? `warehouse read-back found no row for ${reportId}`
        : `warehouse read-back of ${reportId} differs in ${columns.join(', ')}`,
    );
    this.name = 'WarehouseMismatchError';
  }
}

/**
 * Upserts the report on report_id and reads the stored row back in the same statement
 * (`returning`: the row as written, after any trigger changed it), and confirms only when every
 * column matches what was sent. Throws WarehouseMismatchError otherwise (the job retries).
 */
export async function upsertAndConfirm(
  db: SqlQueryable,
  table: TableName,
  report: Report,
  writtenAt = new Date(),
): Promise<WriteResult> {
  const row = rowFor(report, writtenAt);
  const { rows } = await db.query<Record<string, unknown>>(upsertSql(table), paramsFor(row));
  const stored = rows[0];
  if (stored === undefined) throw new WarehouseMismatchError(row.report_id, []);
  const differing = diffRow(row, stored);
  if (differing.length > 0) throw new WarehouseMismatchError(row.report_id, differing);
  return { confirmed: true };
}
