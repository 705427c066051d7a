import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPgFixture, type PgFixture } from '@wrapup/shared/testing';
import type { Report } from '@wrapup/shared';
import { createLogger } from '../logger';
import { createWarehouseSink, type WarehouseSink } from './warehouse';
import { sampleReport } from './warehouse-testkit';

const logger = createLogger({ level: 'silent' });

/** The stored row, as the contract's columns. */
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

  it('creates the contract table and writes completed and stopped reports column for column', async () => {
    expect(sink.kind).toBe('postgres');
    const completed = sampleReport({ status: 'completed' }).report;
    const stopped = sampleReport({ status: 'stopped', complete: false }).report;
    await expect(sink.write(completed)).resolves.toEqual({ confirmed: true });
    await expect(sink.write(stopped)).resolves.toEqual({ confirmed: true });

    expectRowEqualsReport((await rowOf(fx, fx.table(), completed.reportId))[0], completed);
    expectRowEqualsReport((await rowOf(fx, fx.table(), stopped.reportId))[0], stopped);

    const { rows: columns } = await fx.pool.query<{
      column_name: string;
      data_type: string;
      is_nullable: string;
    }>(
      `select column_name, data_type, is_nullable from information_schema.columns
       where table_schema = $1 and table_name = 'campaign_reports' order by ordinal_position`,
      [fx.schema],
    );
    expect(columns.map((c) => `${c.column_name} ${c.data_type} ${c.is_nullable}`)).toEqual([
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
    ]);
  });

  it('upserts: the same report id rewrites the one row', async () => {
    const { report } = sampleReport();
    await sink.write(report);
    const rewritten = {
      ...report,
      metrics: { ...report.metrics, successfulContacts: 451, contactRate: 0.3007 },
    };
    await sink.write(rewritten);
    const rows = await rowOf(fx, fx.table(), report.reportId);
    expect(rows).toHaveLength(1);
    expectRowEqualsReport(rows[0], rewritten);
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
