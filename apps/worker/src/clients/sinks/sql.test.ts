import { describe, expect, it } from 'vitest';
import { SAMPLE_V21_FIGURES, sampleReport, sampleReportV20 } from '../../testing/sinks';
import { V20_DEFAULTS } from '../../testing/v20-fixture';
import { addColumnsSql, COLUMNS, parseTableName, quoteIdent } from './schema';
import { diffRow, rowFor } from './sql';

describe('parseTableName', () => {
  it('quotes plain and schema-qualified names', () => {
    expect(parseTableName('campaign_reports')).toEqual({
      schema: undefined,
      table: 'campaign_reports',
      sql: '"campaign_reports"',
    });
    expect(parseTableName('analytics.Reports').sql).toBe('"analytics"."Reports"');
  });

  it('rejects empty parts and more than two parts', () => {
    expect(() => parseTableName('a.b.c')).toThrow(/schema\.table/);
    expect(() => parseTableName('a.')).toThrow(/schema\.table/);
    expect(() => parseTableName('')).toThrow(/schema\.table/);
  });

  it('doubles embedded quotes so a name cannot break out', () => {
    expect(quoteIdent('x"; drop table y; --')).toBe('"x""; drop table y; --"');
  });
});

describe('diffRow', () => {
  const { report } = sampleReport({ status: 'stopped' });
  const writtenAt = new Date('2024-01-01T00:00:00.000Z');
  const row = rowFor(report, writtenAt);

  it('maps the report onto the warehouse columns (README, "The report")', () => {
    expect(row).toMatchObject({
      report_id: report.reportId,
      campaign_id: report.campaignId,
      status: 'stopped',
      end_time: null,
      total_calls_attempted: 1500,
      successful_contacts: 450,
      contact_rate: 0.3,
      avg_handle_time_seconds: 120.5,
      complete: true,
      revision: 1,
      final: false,
      ...SAMPLE_V21_FIGURES,
      completeness_verdict: 'settled',
    });
    expect(row.completion_timestamp.toISOString()).toBe(report.completionTimestamp);
    expect(Object.keys(row).sort()).toEqual([...COLUMNS].sort());
  });

  it('maps a v2.0 report: no v2.1 figures (null), revision 1, not final', () => {
    const old = rowFor(sampleReportV20().report, writtenAt);
    expect(old).toMatchObject(V20_DEFAULTS);
    expect(Object.keys(old).sort()).toEqual([...COLUMNS].sort());
    const later = rowFor(
      sampleReport({ complete: false, revision: 3, final: true }).report,
      writtenAt,
    );
    expect(later).toMatchObject({ revision: 3, final: true, completeness_verdict: 'max-wait' });
  });

  it('compares timestamps as instants and jsonb deeply, regardless of key order', () => {
    const reordered = Object.fromEntries(Object.entries(row.report as object).reverse());
    const stored = {
      ...row,
      completion_timestamp: '2023-10-27T16:30:00+02:00',
      written_at: new Date(writtenAt.getTime()),
      report: reordered,
    };
    expect(diffRow(row, stored)).toEqual([]);
  });

  it('names every differing column', () => {
    const stored = {
      ...row,
      contact_rate: 0.30001,
      written_at: new Date(writtenAt.getTime() + 1),
      report: { ...(row.report as object), waitedMs: 1 },
      final: true,
      abandon_rate: null,
      completeness_verdict: 'max-wait',
    };
    expect(diffRow(row, stored)).toEqual([
      'contact_rate',
      'report',
      'written_at',
      'final',
      'abandon_rate',
      'completeness_verdict',
    ]);
    // all but end_time and campaign_version (null both ways: the sample has no compliance)
    expect(diffRow(row, {})).toHaveLength(COLUMNS.length - 2);
  });
});

describe('addColumnsSql', () => {
  it('adds only the named v2.1 columns, each if not exists, in one statement', () => {
    expect(addColumnsSql(parseTableName('s.t'), ['revision', 'final', 'abandon_rate'])).toBe(
      [
        'alter table "s"."t"',
        '  add column if not exists revision integer not null default 1,',
        '  add column if not exists final boolean not null default false,',
        '  add column if not exists abandon_rate double precision null',
      ].join('\n'),
    );
  });
});
