import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { AggregatesResponseSchema, buildReport, extractCounts, roundRatio, type AnalyticsCounts } from './report-builder';
import { reportIdFor, runIdFor } from './ids';
import { ReportSchema } from './report';

const CAMPAIGN = 'cmp-88293-xyz';

const metric = (name: string, stats: Record<string, number>) => ({ metric: name, stats });

/** The answer of the aggregates query for the guide's campaign (facts file example). */
const guideResponse = {
  results: [
    {
      group: { outboundCampaignId: CAMPAIGN },
      data: [
        {
          interval: '2023-10-27T13:25:00.000Z/2023-10-27T14:35:00.000Z',
          metrics: [
            metric('nOutboundAttempted', { count: 1500 }),
            metric('nOutboundConnected', { count: 450 }),
            metric('nOutboundAbandoned', { count: 12 }),
            metric('tHandle', { max: 612000, min: 4000, count: 450, sum: 54_000_000 }),
            metric('tTalk', { max: 500000, min: 3000, count: 450, sum: 40_000_000 }),
          ],
        },
      ],
    },
  ],
};

const parse = (x: unknown) => v.parse(AggregatesResponseSchema, x);

const baseInput = (counts: AnalyticsCounts, over: Partial<Parameters<typeof buildReport>[0]> = {}) => {
  const runId = runIdFor(CAMPAIGN, '2023-10-27T14:30:00.000Z');
  return {
    runId,
    campaignId: CAMPAIGN,
    status: 'completed' as const,
    occurredAt: '2023-10-27T14:30:00.000Z',
    counts,
    expectedCount: 1500,
    waitedMs: 30_000,
    interval: '2023-10-27T13:25:00.000Z/2023-10-27T14:35:00.000Z',
    complete: true,
    generatedAt: '2023-10-27T14:31:00.000Z',
    ...over,
  };
};

describe('AggregatesResponseSchema', () => {
  it('accepts {}, empty results and unknown fields', () => {
    expect(parse({})).toEqual({});
    expect(parse({ results: [] })).toEqual({ results: [] });
    expect(parse({ results: [{ group: { mediaType: 'voice' } }], extra: 1 })).toEqual({
      results: [{ group: { mediaType: 'voice' } }],
      extra: 1,
    });
  });

  it('refuses wrong types', () => {
    expect(v.safeParse(AggregatesResponseSchema, { results: 'none' }).success).toBe(false);
    expect(v.safeParse(AggregatesResponseSchema, { results: [{ data: [{ metrics: [{ metric: 'x', stats: { count: '1' } }] }] }] }).success).toBe(false);
    expect(v.safeParse(AggregatesResponseSchema, null).success).toBe(false);
  });
});

describe('extractCounts', () => {
  it('reads the guide numbers', () => {
    expect(extractCounts(parse(guideResponse), CAMPAIGN)).toEqual({
      attempted: 1500,
      connected: 450,
      handleSumMs: 54_000_000,
      handleCount: 450,
    });
  });

  it('gives zeros for {} and empty results', () => {
    const zero = { attempted: 0, connected: 0, handleSumMs: 0, handleCount: 0 };
    expect(extractCounts(parse({}), CAMPAIGN)).toEqual(zero);
    expect(extractCounts(parse({ results: [] }), CAMPAIGN)).toEqual(zero);
    expect(extractCounts(parse({ results: [{ group: { outboundCampaignId: CAMPAIGN } }] }), CAMPAIGN)).toEqual(zero);
    expect(extractCounts(parse({ results: [{ data: [{ metrics: [metric('tHandle', {})] }] }] }), CAMPAIGN)).toEqual(zero);
  });

  it('sums every interval (granularity) of the campaign', () => {
    const resp = parse({
      results: [
        {
          group: { outboundCampaignId: CAMPAIGN },
          data: [
            { interval: 'a', metrics: [metric('nOutboundAttempted', { count: 100 }), metric('tHandle', { sum: 1000, count: 2 })] },
            { interval: 'b', metrics: [metric('nOutboundAttempted', { count: 50 }), metric('nOutboundConnected', { count: 20 })] },
            { interval: 'c', metrics: [metric('nOutboundConnected', { count: 5 }), metric('tHandle', { sum: 500, count: 1 })] },
          ],
        },
      ],
    });
    expect(extractCounts(resp, CAMPAIGN)).toEqual({ attempted: 150, connected: 25, handleSumMs: 1500, handleCount: 3 });
  });

  it('ignores other campaigns, counts ungrouped results and sums split queries', () => {
    const resp = parse({
      results: [
        { group: { outboundCampaignId: 'other' }, data: [{ metrics: [metric('nOutboundAttempted', { count: 999 })] }] },
        { group: { outboundCampaignId: CAMPAIGN, mediaType: 'voice' }, data: [{ metrics: [metric('nOutboundAttempted', { count: 10 })] }] },
        { data: [{ metrics: [metric('nOutboundAttempted', { count: 3 })] }] },
        { group: { mediaType: 'voice' }, data: [{ metrics: [metric('nOutboundConnected', { count: 2 })] }] },
        { group: { outboundCampaignId: CAMPAIGN.toUpperCase() }, data: [{ metrics: [metric('nOutboundAttempted', { count: 7 })] }] },
      ],
    });
    expect(extractCounts(resp, CAMPAIGN)).toEqual({ attempted: 13, connected: 2, handleSumMs: 0, handleCount: 0 });
  });

  it('ignores negative or missing stats', () => {
    const resp = parse({ results: [{ data: [{ metrics: [metric('nOutboundAttempted', { count: -5 }), { metric: 'nOutboundConnected' }] }] }] });
    expect(extractCounts(resp, CAMPAIGN)).toEqual({ attempted: 0, connected: 0, handleSumMs: 0, handleCount: 0 });
  });
});

describe('buildReport', () => {
  it('gives the guide report for the guide numbers', () => {
    const input = baseInput(extractCounts(parse(guideResponse), CAMPAIGN));
    const report = buildReport(input);
    expect(report).toEqual({
      reportId: reportIdFor(input.runId),
      campaignId: CAMPAIGN,
      completionTimestamp: '2023-10-27T14:30:00.000Z',
      metrics: {
        totalCallsAttempted: 1500,
        successfulContacts: 450,
        contactRate: 0.3,
        avgHandleTimeSeconds: 120,
        status: 'completed',
      },
      metadata: { generatedBy: 'automated-reporting-service', version: '2.0' },
      endTime: '2023-10-27T14:30:00.000Z',
      dataComplete: true,
      expectedCount: 1500,
      observedCount: 1500,
      waitedMs: 30_000,
      interval: '2023-10-27T13:25:00.000Z/2023-10-27T14:35:00.000Z',
      generatedAt: '2023-10-27T14:31:00.000Z',
    });
    expect(report.reportId).toMatch(/^rpt-[0-9a-f]{32}$/);
    expect(v.safeParse(ReportSchema, report).success).toBe(true);
  });

  it('is deterministic for one run', () => {
    const counts = { attempted: 1, connected: 1, handleSumMs: 1, handleCount: 1 };
    expect(buildReport(baseInput(counts)).reportId).toBe(buildReport(baseInput(counts)).reportId);
    const otherRun = runIdFor(CAMPAIGN, '2023-10-28T14:30:00.000Z');
    expect(buildReport(baseInput(counts, { runId: otherRun })).reportId).not.toBe(buildReport(baseInput(counts)).reportId);
  });

  it('gives 0 rate and 0 handle time when nothing was attempted', () => {
    const report = buildReport(
      baseInput({ attempted: 0, connected: 0, handleSumMs: 0, handleCount: 0 }, { complete: false, expectedCount: null }),
    );
    expect(report.metrics).toEqual({
      totalCallsAttempted: 0,
      successfulContacts: 0,
      contactRate: 0,
      avgHandleTimeSeconds: 0,
      status: 'completed',
    });
    expect(report.dataComplete).toBe(false);
    expect(report.expectedCount).toBeNull();
    expect(report.observedCount).toBe(0);
  });

  it('rounds ratios to 4 decimals', () => {
    const report = buildReport(baseInput({ attempted: 3, connected: 1, handleSumMs: 100_000, handleCount: 3 }));
    expect(report.metrics.contactRate).toBe(0.3333);
    expect(report.metrics.avgHandleTimeSeconds).toBe(33.3333);
    expect(roundRatio(2 / 3)).toBe(0.6667);
    expect(roundRatio(0.1 + 0.2)).toBe(0.3);
  });

  it('sets endTime null for a stopped campaign', () => {
    const report = buildReport(
      baseInput({ attempted: 10, connected: 4, handleSumMs: 8000, handleCount: 4 }, { status: 'stopped' }),
    );
    expect(report.metrics.status).toBe('stopped');
    expect(report.endTime).toBeNull();
    expect(report.completionTimestamp).toBe('2023-10-27T14:30:00.000Z');
    expect(report.metrics.contactRate).toBe(0.4);
    expect(report.metrics.avgHandleTimeSeconds).toBe(2);
  });

  it('refuses counts that make no report (negative, fractional)', () => {
    expect(() => buildReport(baseInput({ attempted: -1, connected: 0, handleSumMs: 0, handleCount: 0 }))).toThrow();
    expect(() => buildReport(baseInput({ attempted: 1.5, connected: 0, handleSumMs: 0, handleCount: 0 }))).toThrow();
  });
});
