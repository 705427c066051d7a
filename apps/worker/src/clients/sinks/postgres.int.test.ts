import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPgFixture, type PgFixture } from '@wrapup/shared/testing';
import type { Report } from '@wrapup/shared';
import { createLogger } from '../../logger';
import { createWarehouseSink, type WarehouseSink } from './factory';
import { SAMPLE_V21_FIGURES, sampleReport, sampleReportV20 } from '../../testing/sinks';
import { V20_DDL, V20_DEFAULTS } from '../../testing/v20-fixture';

const logger = createLogger({ level: 'silent' });

/** A row as the v2.0 service wrote it (its upsert's columns and values). */
async function insertV20Row(fx: PgFixture, table: string, report: Report) {
  await fx.pool.query(
    `insert into ${table} (report_id, campaign_id, status, completion_timestamp, end_time,
       total_calls_attempted, successful_contacts, contact_rate, avg_handle_time_seconds, complete,
       report, written_at)
     values ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6, $7, $8, $9, $10, $11::jsonb, now())`,
    [
      report.reportId,
      report.campaignId,
      report.metrics.status,
      report.completionTimestamp,
      report.endTime,
      report.metrics.totalCallsAttempted,
      report.metrics.successfulContacts,
      report.metrics.contactRate,
      report.metrics.avgHandleTimeSeconds,
      report.dataComplete,
      JSON.stringify(report),
    ],
  );
}

/** The table's columns as `name type nullable default`, in table order. */
async function columnsOf(fx: PgFixture, tableName: string, schema = fx.schema) {
  const { rows } = await fx.pool.query<{
    column_name: string;
    data_type: string;
    is_nullable: string;
    column_default: string | null;
  }>(
    `select column_name, data_type, is_nullable, column_default from information_schema.columns
     where table_schema = $1 and table_name = $2 order by ordinal_position`,
    [schema, tableName],
  );
  return rows.map((c) =>
    [c.column_name, c.data_type, c.is_nullable, c.column_default ?? ''].join(' ').trim(),
  );
}

const V20_COLUMNS = [
  'report_id text NO',
  'campaign_id text NO',
  'status text NO',
  'completion_timestamp timestamp with time zone NO',
  'end_time timestamp with time zone YES',
  'total_calls_attempted integer NO',
  'successful_contacts integer NO',
  'contact_rate double precision NO',
  'avg_handle_time_seconds double precision NO',
  'complete boolean NO',
  'report jsonb NO',
  'written_at timestamp with time zone NO',
];
const V21_COLUMNS = [
  ...V20_COLUMNS,
  'revision integer NO 1',
  'final boolean NO false',
  'connect_rate double precision YES',
  'abandoned_calls integer YES',
  'abandon_rate double precision YES',
  'handled_calls integer YES',
  'avg_talk_seconds double precision YES',
  'avg_hold_seconds double precision YES',
  'avg_acw_seconds double precision YES',
  'completeness_verdict text YES',
  // issue 20: the campaign version whose configuration is archived (campaign_configurations)
  'campaign_version integer YES',
];

/** The stored row, as the README's warehouse columns. */
async function rowOf(fx: PgFixture, table: string, reportId: string) {
  const { rows } = await fx.pool.query<Record<string, unknown>>(
    `select * from ${table} where report_id = $1`,
    [reportId],
  );
  return rows;
}

function expectRowEqualsReport(row: Record<string, unknown> | undefined, report: Report) {
  expect(row).toBeDefined();
  expect(row).toMatchObject({
    report_id: report.reportId,
    campaign_id: report.campaignId,
    status: report.metrics.status,
    total_calls_attempted: report.metrics.totalCallsAttempted,
    successful_contacts: report.metrics.successfulContacts,
    contact_rate: report.metrics.contactRate,
    avg_handle_time_seconds: report.metrics.avgHandleTimeSeconds,
    complete: report.dataComplete,
    revision: report.revision ?? 1,
    final: report.final ?? false,
    connect_rate: report.metrics.connectRate ?? null,
    abandoned_calls: report.metrics.abandonedCalls ?? null,
    abandon_rate: report.metrics.abandonRate ?? null,
    handled_calls: report.metrics.handledCalls ?? null,
    avg_talk_seconds: report.metrics.avgTalkSeconds ?? null,
    avg_hold_seconds: report.metrics.avgHoldSeconds ?? null,
    avg_acw_seconds: report.metrics.avgAcwSeconds ?? null,
    completeness_verdict: report.completeness?.verdict ?? null,
    campaign_version: report.compliance?.configVersion ?? null,
  });
  expect((row?.completion_timestamp as Date).toISOString()).toBe(report.completionTimestamp);
  if (report.endTime === null) expect(row?.end_time).toBeNull();
  else expect((row?.end_time as Date).toISOString()).toBe(report.endTime);
  expect(row?.report).toEqual(report);
  expect(row?.written_at).toBeInstanceOf(Date);
}

describe('PostgreSQL warehouse sink', () => {
  let fx: PgFixture;
  let sink: WarehouseSink;
  const extraSchemas: string[] = [];

  beforeEach(async () => {
    fx = await createPgFixture('wh');
    sink = createWarehouseSink(
      { url: fx.databaseUrl, table: fx.table(), dataDir: '/nonexistent' },
      logger,
    );
  });
  afterEach(async () => {
    await sink.close();
    for (const s of extraSchemas.splice(0))
      await fx.pool.query(`drop schema if exists "${s}" cascade`);
    await fx.cleanup();
  });

  it('creates the report table and writes completed and stopped reports column for column', async () => {
    expect(sink.kind).toBe('postgres');
    const completed = sampleReport({ status: 'completed' }).report;
    const stopped = sampleReport({ status: 'stopped', complete: false }).report;
    await expect(sink.write(completed)).resolves.toEqual({ confirmed: true });
    await expect(sink.write(stopped)).resolves.toEqual({ confirmed: true });

    expectRowEqualsReport((await rowOf(fx, fx.table(), completed.reportId))[0], completed);
    expectRowEqualsReport((await rowOf(fx, fx.table(), stopped.reportId))[0], stopped);

    expect(await columnsOf(fx, 'campaign_reports')).toEqual(V21_COLUMNS);
  });

  it('upserts: the same report id rewrites the one row', async () => {
    const { report } = sampleReport();
    await sink.write(report);
    const rewritten = {
      ...report,
      metrics: {
        ...report.metrics,
        successfulContacts: 451,
        contactRate: 0.3007,
        abandonRate: 0.025,
      },
      revision: 2,
      final: true,
    };
    await sink.write(rewritten);
    const rows = await rowOf(fx, fx.table(), report.reportId);
    expect(rows).toHaveLength(1);
    expectRowEqualsReport(rows[0], rewritten);
    expect(rows[0]).toMatchObject({ revision: 2, final: true, abandon_rate: 0.025 });
  });

  it('writes a v2.0-shaped report (no v2.1 fields): null figures, revision 1, not final', async () => {
    const { report } = sampleReportV20({ status: 'stopped', complete: false });
    expect(report.metadata.version).toBe('2.0');
    expect(report).not.toHaveProperty('revision');
    await expect(sink.write(report)).resolves.toEqual({ confirmed: true });
    const [row] = await rowOf(fx, fx.table(), report.reportId);
    expectRowEqualsReport(row, report);
    expect(row).toMatchObject(V20_DEFAULTS);
  });

  it('migrates a v2.0 table in place: adds the v2.1 columns and keeps every row', async () => {
    await fx.pool.query(V20_DDL(fx.table()));
    const completedOld = sampleReportV20({ status: 'completed' }).report;
    const olds = [completedOld, sampleReportV20({ status: 'stopped', complete: false }).report];
    for (const old of olds) await insertV20Row(fx, fx.table(), old);
    expect(await columnsOf(fx, 'campaign_reports')).toEqual(V20_COLUMNS);

    await sink.init();
    expect(await columnsOf(fx, 'campaign_reports')).toEqual(V21_COLUMNS);
    // The same shape as a table the service creates afresh.
    const fresh = createWarehouseSink(
      { url: fx.databaseUrl, table: fx.table('fresh_reports'), dataDir: '' },
      logger,
    );
    try {
      await fresh.init();
    } finally {
      await fresh.close();
    }
    expect(await columnsOf(fx, 'fresh_reports')).toEqual(V21_COLUMNS);

    // Old rows kept as they were, with revision 1, not final, and no v2.1 figures.
    const { rows } = await fx.pool.query<Record<string, unknown>>(
      `select * from ${fx.table()} order by status`,
    );
    expect(rows).toHaveLength(2);
    for (const [i, old] of olds.entries()) {
      expectRowEqualsReport(rows[i], old);
      expect(rows[i]).toMatchObject(V20_DEFAULTS);
    }

    // A v2.1 report writes every new column; a v2.1 rewrite of an old row fills them in.
    const next = sampleReport({ complete: false, revision: 2, final: true }).report;
    const rewrite = sampleReport({ campaignId: completedOld.campaignId }).report;
    expect(rewrite.reportId).toBe(completedOld.reportId);
    await expect(sink.write(next)).resolves.toEqual({ confirmed: true });
    await expect(sink.write(rewrite)).resolves.toEqual({ confirmed: true });
    const [nextRow] = await rowOf(fx, fx.table(), next.reportId);
    expectRowEqualsReport(nextRow, next);
    expect(nextRow).toMatchObject({
      revision: 2,
      final: true,
      ...SAMPLE_V21_FIGURES,
      completeness_verdict: 'max-wait',
    });
    const rewritten = await rowOf(fx, fx.table(), rewrite.reportId);
    expect(rewritten).toHaveLength(1);
    expectRowEqualsReport(rewritten[0], rewrite);
    expect(rewritten[0]).toMatchObject({ revision: 1, completeness_verdict: 'settled' });
    expect((await fx.pool.query(`select 1 from ${fx.table()}`)).rows).toHaveLength(3);
  });

  it('migrates once when several processes start against a v2.0 table at the same time', async () => {
    for (const name of ['race_a', 'race_b', 'race_c']) {
      await fx.pool.query(V20_DDL(fx.table(name)));
      const old = sampleReportV20().report;
      await insertV20Row(fx, fx.table(name), old);
      // One sink (its own pool, as a separate worker process would have) per starter.
      const sinks = Array.from({ length: 6 }, () =>
        createWarehouseSink({ url: fx.databaseUrl, table: fx.table(name), dataDir: '' }, logger),
      );
      try {
        const results = await Promise.allSettled(sinks.map((s) => s.init()));
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        await Promise.all(sinks.map((s) => s.write(sampleReport().report)));
      } finally {
        await Promise.all(sinks.map((s) => s.close()));
      }
      expect(await columnsOf(fx, name)).toEqual(V21_COLUMNS);
      const [row] = await rowOf(fx, fx.table(name), old.reportId);
      expectRowEqualsReport(row, old);
      expect(row).toMatchObject(V20_DEFAULTS);
      expect((await fx.pool.query(`select 1 from ${fx.table(name)}`)).rows).toHaveLength(7);
    }
  });

  it('creates a missing schema for a schema-qualified table', async () => {
    const schema = `${fx.schema}_new`;
    extraSchemas.push(schema);
    const other = createWarehouseSink(
      { url: fx.databaseUrl, table: `${schema}.Reports`, dataDir: '' },
      logger,
    );
    try {
      const { report } = sampleReport();
      await other.write(report);
      expectRowEqualsReport((await rowOf(fx, `"${schema}"."Reports"`, report.reportId))[0], report);
    } finally {
      await other.close();
    }
  });

  it('refuses to confirm when the row read back differs from what was sent', async () => {
    await sink.init();
    // A real trigger in the warehouse that rewrites a value: the read-back must notice.
    await fx.pool.query(`
      create function "${fx.schema}".tamper() returns trigger language plpgsql as $$
      begin new.contact_rate := new.contact_rate + 0.5; return new; end $$;
      create trigger tamper before insert or update on ${fx.table()}
      for each row execute function "${fx.schema}".tamper();`);
    const { report } = sampleReport();
    await expect(sink.write(report)).rejects.toThrow(
      `read-back of ${report.reportId} differs in contact_rate`,
    );
  });
});
