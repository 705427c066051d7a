import { describe, expect, it } from 'vitest';
import { buildReport, reportChanges, zeroCounts, type AnalyticsCounts } from '@wrapup/shared';
import { buildNotification, changeText } from './notifications';

const report = (counts: Partial<AnalyticsCounts>, revision: number) =>
  buildReport({
    runId: 'run-abc',
    campaignId: 'X',
    status: 'completed',
    occurredAt: '2024-05-01T10:00:00.000Z',
    counts: { ...zeroCounts(), ...counts },
    expectedCount: 1500,
    waitedMs: 1000,
    interval: '2024-05-01T09:00:00.000Z/2024-05-01T10:05:00.000Z',
    complete: true,
    generatedAt: '2024-05-01T10:06:00.000Z',
    revision,
    final: revision > 1,
  });

describe('report.revised', () => {
  it('says which figures changed and by how much', () => {
    const before = report(
      { attempted: 1500, connected: 450, handleCount: 450, handleSumMs: 450 * 120_000 },
      1,
    );
    const after = report(
      { attempted: 1512, connected: 450, handleCount: 450, handleSumMs: 450 * 121_400 },
      2,
    );
    const changes = reportChanges(before, after);
    const n = buildNotification({
      event: 'report.revised',
      runId: 'run-abc',
      report: after,
      changes,
      previousRevision: 1,
    });
    expect(n.text).toBe(
      'Campaign X final report: attempts 1500 → 1512 (+12), contact rate 30.0% → 29.8% (-0.2 pp), ' +
        'AHT 120.0 s → 121.4 s (+1.4 s)',
    );
    expect(n).toMatchObject({
      event: 'report.revised',
      campaignId: 'X',
      runId: 'run-abc',
      reportId: after.reportId,
      previousRevision: 1,
      report: { revision: 2, final: true },
    });
    expect(n.changes?.map((c) => c.figure)).toEqual([
      'metrics.totalCallsAttempted',
      'metrics.contactRate',
      'metrics.avgHandleTimeSeconds',
    ]);
  });

  it('compares the v2.1 figures and each wrap-up code, and nothing when nothing changed', () => {
    const counts = {
      attempted: 10,
      connected: 5,
      abandoned: 1,
      handleCount: 4,
      handleSumMs: 4000,
      acwCount: 4,
      acwSumMs: 400,
      wrapUps: { SALE: 3, NO: 1 },
    };
    expect(reportChanges(report(counts, 1), report(counts, 2))).toEqual([]);
    const changes = reportChanges(
      report(counts, 1),
      report({ ...counts, abandoned: 2, wrapUps: { SALE: 4 } }, 2),
    );
    expect(changes.map(changeText)).toEqual([
      'abandoned 1 → 2 (+1)',
      'abandon rate 20.0% → 40.0% (+20.0 pp)',
      'wrap-up SALE 3 → 4 (+1)',
      'wrap-up NO 1 → 0 (-1)',
    ]);
  });

  it('shows enough decimals to tell two values apart, and a figure the earlier revision lacked', () => {
    expect(
      changeText({ figure: 'f', label: 'avg hold', unit: 'seconds', from: 12.5, to: 12.53 }),
    ).toBe('avg hold 12.50 s → 12.53 s (+0.03 s)');
    expect(changeText({ figure: 'f', label: 'abandoned', unit: 'count', from: null, to: 9 })).toBe(
      'abandoned – → 9',
    );
  });
});
