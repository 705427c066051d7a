import { isDeepStrictEqual } from 'node:util';
import type { Report } from '@wrapup/shared';
import type { ConfigurationArchive, WriteResult } from './sink';
import {
  COLUMNS,
  columnType,
  configurationTableFor,
  type Column,
  type SqlQueryable,
  type TableName,
} from './schema';

/**
 * One report as one row, in SQL shared by the PostgreSQL sink (pg) and the embedded sink
 * (PGlite): both speak real PostgreSQL, so the upsert and the read-back live here once. The
 * table itself (name, columns, create and migrate) is in schema.ts.
 */

/** Parameters whose text PostgreSQL must be told the type of. */
const cast = (column: Column) => {
  const type = columnType(column);
  return type === 'timestamptz' || type === 'jsonb' ? `::${type}` : '';
};

/**
 * The revision guard: the row is replaced only by the same or a later revision, and a final row
 * only by a final one. So a write that arrives late (an older revision retried after a newer one
 * was written, a replay racing the final re-check) never takes the row back. When it fails, the
 * statement changes nothing and returns no row (see upsertAndConfirm).
 */
const REVISION_GUARD = `excluded.revision >= t.revision and (excluded.final or not t.final)`;

const buildUpsertSql = (table: TableName) => `insert into ${table.sql} as t (${COLUMNS.join(', ')})
values (${COLUMNS.map((c, i) => `$${i + 1}${cast(c)}`).join(', ')})
on conflict (report_id) do update set
${COLUMNS.filter((c) => c !== 'report_id')
  .map((c) => `  ${c} = excluded.${c}`)
  .join(',\n')}
where ${REVISION_GUARD}
returning ${COLUMNS.join(', ')}`;

const buildSelectSql = (table: TableName) =>
  `select ${COLUMNS.join(', ')} from ${table.sql} where report_id = $1`;

/** The statement texts per table, built once (the same text also lets a driver reuse its plan). */
const texts = new Map<string, { upsert: string; select: string }>();
const sqlFor = (table: TableName) => {
  let text = texts.get(table.sql);
  if (text === undefined)
    texts.set(table.sql, (text = { upsert: buildUpsertSql(table), select: buildSelectSql(table) }));
  return text;
};

/**
 * The values a report turns into (timestamps as instants, the report as plain JSON), one per
 * column. A v2.0 report has none of the v2.1 figures: those are null, revision 1, final false.
 */
export interface ReportRow extends Record<Column, unknown> {
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
  revision: number;
  final: boolean;
  connect_rate: number | null;
  abandoned_calls: number | null;
  abandon_rate: number | null;
  handled_calls: number | null;
  avg_talk_seconds: number | null;
  avg_hold_seconds: number | null;
  avg_acw_seconds: number | null;
  completeness_verdict: string | null;
  campaign_version: number | null;
}

function instant(value: string, field: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`report ${field} is not a timestamp: ${value}`);
  return date;
}

export function rowFor(report: Report, writtenAt: Date): ReportRow {
  const { metrics } = report;
  return {
    report_id: report.reportId,
    campaign_id: report.campaignId,
    status: metrics.status,
    completion_timestamp: instant(report.completionTimestamp, 'completionTimestamp'),
    end_time: report.endTime === null ? null : instant(report.endTime, 'endTime'),
    total_calls_attempted: metrics.totalCallsAttempted,
    successful_contacts: metrics.successfulContacts,
    contact_rate: metrics.contactRate,
    avg_handle_time_seconds: metrics.avgHandleTimeSeconds,
    complete: report.dataComplete,
    // What JSON can carry (drops undefined), i.e. exactly what jsonb receives.
    report: JSON.parse(JSON.stringify(report)) as unknown,
    written_at: writtenAt,
    revision: report.revision ?? 1,
    final: report.final ?? false,
    connect_rate: metrics.connectRate ?? null,
    abandoned_calls: metrics.abandonedCalls ?? null,
    abandon_rate: metrics.abandonRate ?? null,
    handled_calls: metrics.handledCalls ?? null,
    avg_talk_seconds: metrics.avgTalkSeconds ?? null,
    avg_hold_seconds: metrics.avgHoldSeconds ?? null,
    avg_acw_seconds: metrics.avgAcwSeconds ?? null,
    completeness_verdict: report.completeness?.verdict ?? null,
    campaign_version: report.compliance?.configVersion ?? null,
  };
}

/** The upsert's parameters, in COLUMNS order. */
const paramsFor = (row: ReportRow): unknown[] =>
  COLUMNS.map((c) => {
    const value = row[c];
    if (value instanceof Date) return value.toISOString();
    return c === 'report' ? JSON.stringify(value) : value;
  });

const TIMESTAMP_COLUMNS = new Set(COLUMNS.filter((c) => columnType(c) === 'timestamptz'));

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
 * Whether a stored row is newer than `row` (the revision guard's opposite): a higher revision,
 * or final while `row` is not.
 */
export function isNewerRow(stored: Record<string, unknown>, row: ReportRow): boolean {
  return Number(stored.revision) > row.revision || (stored.final === true && !row.final);
}

/**
 * Upserts the report on report_id and reads the stored row back in the same statement
 * (`returning`: the row as written, after any trigger changed it), and confirms only when every
 * column matches what was sent (the revision among them). Throws WarehouseMismatchError otherwise
 * (the job retries).
 *
 * When the revision guard kept the row (it holds a newer revision), nothing was written: the row
 * is read and, if it is indeed newer, the write is answered `superseded` (not an error: retrying
 * cannot and must not change it); if it is not (it vanished, or is older), the mismatch throws.
 */
export async function upsertAndConfirm(
  db: SqlQueryable,
  table: TableName,
  report: Report,
  writtenAt = new Date(),
): Promise<WriteResult> {
  const row = rowFor(report, writtenAt);
  const sql = sqlFor(table);
  const { rows } = await db.query<Record<string, unknown>>(sql.upsert, paramsFor(row));
  const stored = rows[0];
  if (stored === undefined) {
    const { rows: kept } = await db.query<Record<string, unknown>>(sql.select, [row.report_id]);
    const current = kept[0];
    if (current !== undefined && isNewerRow(current, row)) {
      return {
        confirmed: true,
        superseded: { revision: Number(current.revision), final: current.final === true },
      };
    }
    throw new WarehouseMismatchError(
      row.report_id,
      current === undefined ? [] : diffRow(row, current),
    );
  }
  const differing = diffRow(row, stored);
  if (differing.length > 0) throw new WarehouseMismatchError(row.report_id, differing);
  return { confirmed: true };
}

/**
 * Inserts a campaign configuration unless its (campaign_id, version) is there; then checks the
 * row is there (the insert's `returning` says whether this call added it). Throws when the row is
 * missing after it (the job retries).
 */
export async function archiveConfiguration(
  db: SqlQueryable,
  reports: TableName,
  archive: ConfigurationArchive,
): Promise<{ inserted: boolean }> {
  const table = configurationTableFor(reports);
  const { rows } = await db.query(
    `insert into ${table.sql} (campaign_id, version, configuration, outbound_settings, archived_at)
values ($1, $2, $3::jsonb, $4::jsonb, $5::timestamptz)
on conflict (campaign_id, version) do nothing
returning campaign_id`,
    [
      archive.campaignId,
      archive.version,
      JSON.stringify(archive.configuration),
      archive.outboundSettings === undefined ? null : JSON.stringify(archive.outboundSettings),
      archive.archivedAt,
    ],
  );
  if (rows.length > 0) return { inserted: true };
  const { rows: kept } = await db.query(
    `select 1 from ${table.sql} where campaign_id = $1 and version = $2`,
    [archive.campaignId, archive.version],
  );
  if (kept.length === 0)
    throw new Error(
      `configuration of campaign ${archive.campaignId} version ${archive.version} is not in the warehouse after its insert`,
    );
  return { inserted: false };
}
