import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  AggregatesResponseSchema,
  addCounts,
  buildReport,
  countsFingerprint,
  extractCounts,
  roundRatio,
  zeroCounts,
  type AnalyticsCounts,
} from './report-builder';
import { reportIdFor, runIdFor } from './ids';
import { ReportSchema } from './report';

const CAMPAIGN = 'cmp-88293-xyz';

const metric = (name: string, stats: Record<string, number>) => ({ metric: name, stats });

/** The answer of the aggregates query for the guide's campaign: 1500 attempts, 450 connects, 120 s. */
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

/** Full counts from the few a test cares about. */
const c = (over: Partial<AnalyticsCounts>): AnalyticsCounts => ({ ...zeroCounts(), ...over });

const baseInput = (
  counts: AnalyticsCounts,
  over: Partial<Parameters<typeof buildReport>[0]> = {},
) => {
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
    expect(
      v.safeParse(AggregatesResponseSchema, {
        results: [{ data: [{ metrics: [{ metric: 'x', stats: { count: '1' } }] }] }],
      }).success,
    ).toBe(false);
    expect(v.safeParse(AggregatesResponseSchema, null).success).toBe(false);
  });
});

describe('extractCounts', () => {
  it('reads the guide numbers', () => {
    expect(extractCounts(parse(guideResponse), CAMPAIGN)).toEqual(
      c({
        attempted: 1500,
        connected: 450,
        abandoned: 12,
        handleSumMs: 54_000_000,
        handleCount: 450,
        talkSumMs: 40_000_000,
        talkCount: 450,
        wrapUps: { '(none)': 450 },
      }),
    );
  });

  it('gives zeros for {} and empty results', () => {
    const zero = zeroCounts();
    expect(extractCounts(parse({}), CAMPAIGN)).toEqual(zero);
    expect(extractCounts(parse({ results: [] }), CAMPAIGN)).toEqual(zero);
    expect(
      extractCounts(parse({ results: [{ group: { outboundCampaignId: CAMPAIGN } }] }), CAMPAIGN),
    ).toEqual(zero);
    expect(
      extractCounts(
        parse({ results: [{ data: [{ metrics: [metric('tHandle', {})] }] }] }),
        CAMPAIGN,
      ),
    ).toEqual(zero);
  });

  it('sums every interval (granularity) of the campaign', () => {
    const resp = parse({
      results: [
        {
          group: { outboundCampaignId: CAMPAIGN },
          data: [
            {
              interval: 'a',
              metrics: [
                metric('nOutboundAttempted', { count: 100 }),
                metric('tHandle', { sum: 1000, count: 2 }),
              ],
            },
            {
              interval: 'b',
              metrics: [
                metric('nOutboundAttempted', { count: 50 }),
                metric('nOutboundConnected', { count: 20 }),
              ],
            },
            {
              interval: 'c',
              metrics: [
                metric('nOutboundConnected', { count: 5 }),
                metric('tHandle', { sum: 500, count: 1 }),
              ],
            },
          ],
        },
      ],
    });
    expect(extractCounts(resp, CAMPAIGN)).toEqual(
      c({
        attempted: 150,
        connected: 25,
        handleSumMs: 1500,
        handleCount: 3,
        wrapUps: { '(none)': 3 },
      }),
    );
  });

  it('ignores other campaigns, counts ungrouped results and sums split queries', () => {
    const resp = parse({
      results: [
        {
          group: { outboundCampaignId: 'other' },
          data: [{ metrics: [metric('nOutboundAttempted', { count: 999 })] }],
        },
        {
          group: { outboundCampaignId: CAMPAIGN, mediaType: 'voice' },
          data: [{ metrics: [metric('nOutboundAttempted', { count: 10 })] }],
        },
        { data: [{ metrics: [metric('nOutboundAttempted', { count: 3 })] }] },
        {
          group: { mediaType: 'voice' },
          data: [{ metrics: [metric('nOutboundConnected', { count: 2 })] }],
        },
        {
          group: { outboundCampaignId: CAMPAIGN.toUpperCase() },
          data: [{ metrics: [metric('nOutboundAttempted', { count: 7 })] }],
        },
      ],
    });
    expect(extractCounts(resp, CAMPAIGN)).toEqual(c({ attempted: 13, connected: 2 }));
  });

  it('ignores negative or missing stats', () => {
    const resp = parse({
      results: [
        {
          data: [
            {
              metrics: [
                metric('nOutboundAttempted', { count: -5 }),
                { metric: 'nOutboundConnected' },
              ],
            },
          ],
        },
      ],
    });
    expect(extractCounts(resp, CAMPAIGN)).toEqual(zeroCounts());
  });
});

describe('wrap-up codes, hold and the v2.1 figures', () => {
  const grouped = parse({
    results: [
      {
        group: { outboundCampaignId: CAMPAIGN, wrapUpCode: 'Sale' },
        data: [
          {
            metrics: [
              metric('nOutboundAttempted', { count: 6 }),
              metric('nOutboundConnected', { count: 6 }),
              metric('tHandle', { count: 6, sum: 600_000 }),
              metric('tTalk', { count: 6, sum: 420_000 }),
              metric('tHeld', { count: 2, sum: 60_000 }),
              metric('tAcw', { count: 6, sum: 120_000 }),
            ],
          },
        ],
      },
      {
        group: { outboundCampaignId: CAMPAIGN, wrapUpCode: 'Not Interested' },
        data: [
          {
            metrics: [
              metric('nOutboundAttempted', { count: 2 }),
              metric('nOutboundConnected', { count: 2 }),
              metric('tHandle', { count: 2, sum: 100_000 }),
            ],
          },
        ],
      },
      {
        // attempts that never reached an agent carry no wrap-up code
        group: { outboundCampaignId: CAMPAIGN },
        data: [
          {
            metrics: [
              metric('nOutboundAttempted', { count: 12 }),
              metric('nOutboundConnected', { count: 1 }),
              metric('nOutboundAbandoned', { count: 1 }),
            ],
          },
        ],
      },
    ],
  });

  it('sums the wrap-up groups back into the totals and keeps handled calls per code', () => {
    const counts = extractCounts(grouped, CAMPAIGN);
    expect(counts).toMatchObject({
      attempted: 20,
      connected: 9,
      abandoned: 1,
      handleCount: 8,
      heldCount: 2,
      wrapUps: { Sale: 6, 'Not Interested': 2 },
    });
    const report = buildReport(baseInput(counts));
    expect(report.metrics).toMatchObject({
      totalCallsAttempted: 20,
      successfulContacts: 9,
      connectedCalls: 9,
      connectRate: 0.45,
      abandonedCalls: 1,
      abandonRate: 0.1111,
      handledCalls: 8,
      avgHandleTimeSeconds: 87.5,
      avgTalkSeconds: 70,
      avgHoldSeconds: 30,
      avgAcwSeconds: 20,
    });
    expect(report.wrapUpCodes).toEqual([
      { code: 'Sale', count: 6 },
      { code: 'Not Interested', count: 2 },
    ]);
  });

  it('adds split pieces field by field, wrap-ups included', () => {
    const a = extractCounts(grouped, CAMPAIGN);
    const sum = addCounts(a, a);
    expect(sum).toMatchObject({
      attempted: 40,
      heldSumMs: 120_000,
      wrapUps: { Sale: 12, 'Not Interested': 4 },
    });
    expect(a.wrapUps).toEqual({ Sale: 6, 'Not Interested': 2 });
  });

  it('fingerprints every count the completeness rule watches', () => {
    const a = extractCounts(grouped, CAMPAIGN);
    expect(countsFingerprint(a)).toBe(countsFingerprint({ ...a, wrapUps: {} }));
    for (const key of [
      'attempted',
      'connected',
      'abandoned',
      'handleCount',
      'handleSumMs',
      'talkCount',
      'heldCount',
      'acwCount',
    ] as const) {
      expect(countsFingerprint({ ...a, [key]: a[key] + 1 })).not.toBe(countsFingerprint(a));
    }
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
        connectedCalls: 450,
        connectRate: 0.3,
        abandonedCalls: 12,
        abandonRate: 0.0267,
        handledCalls: 450,
        avgTalkSeconds: 88.8889,
        avgHoldSeconds: 0,
        avgAcwSeconds: 0,
      },
      metadata: { generatedBy: 'automated-reporting-service', version: '2.1' },
      endTime: '2023-10-27T14:30:00.000Z',
      dataComplete: true,
      expectedCount: 1500,
      observedCount: 1500,
      waitedMs: 30_000,
      interval: '2023-10-27T13:25:00.000Z/2023-10-27T14:35:00.000Z',
      generatedAt: '2023-10-27T14:31:00.000Z',
      wrapUpCodes: [{ code: '(none)', count: 450 }],
      revision: 1,
      final: false,
    });
    expect(report.reportId).toMatch(/^rpt-[0-9a-f]{32}$/);
    expect(v.safeParse(ReportSchema, report).success).toBe(true);
  });

  it('is deterministic for one run', () => {
    const counts = c({ attempted: 1, connected: 1, handleSumMs: 1, handleCount: 1 });
    expect(buildReport(baseInput(counts)).reportId).toBe(buildReport(baseInput(counts)).reportId);
    const otherRun = runIdFor(CAMPAIGN, '2023-10-28T14:30:00.000Z');
    expect(buildReport(baseInput(counts, { runId: otherRun })).reportId).not.toBe(
      buildReport(baseInput(counts)).reportId,
    );
  });

  it('gives 0 rate and 0 handle time when nothing was attempted', () => {
    const report = buildReport(
      baseInput(c({ attempted: 0, connected: 0, handleSumMs: 0, handleCount: 0 }), {
        complete: false,
        expectedCount: null,
      }),
    );
    expect(report.metrics).toEqual({
      totalCallsAttempted: 0,
      successfulContacts: 0,
      contactRate: 0,
      avgHandleTimeSeconds: 0,
      status: 'completed',
      connectedCalls: 0,
      connectRate: 0,
      abandonedCalls: 0,
      abandonRate: 0,
      handledCalls: 0,
      avgTalkSeconds: 0,
      avgHoldSeconds: 0,
      avgAcwSeconds: 0,
    });
    expect(report.dataComplete).toBe(false);
    expect(report.expectedCount).toBeNull();
    expect(report.observedCount).toBe(0);
  });

  it('rounds ratios to 4 decimals', () => {
    const report = buildReport(
      baseInput(c({ attempted: 3, connected: 1, handleSumMs: 100_000, handleCount: 3 })),
    );
    expect(report.metrics.contactRate).toBe(0.3333);
    expect(report.metrics.avgHandleTimeSeconds).toBe(33.3333);
    expect(roundRatio(2 / 3)).toBe(0.6667);
    expect(roundRatio(0.1 + 0.2)).toBe(0.3);
  });

  it('sets endTime null for a stopped campaign', () => {
    const report = buildReport(
      baseInput(c({ attempted: 10, connected: 4, handleSumMs: 8000, handleCount: 4 }), {
        status: 'stopped',
      }),
    );
    expect(report.metrics.status).toBe('stopped');
    expect(report.endTime).toBeNull();
    expect(report.completionTimestamp).toBe('2023-10-27T14:30:00.000Z');
    expect(report.metrics.contactRate).toBe(0.4);
    expect(report.metrics.avgHandleTimeSeconds).toBe(2);
  });

  it('refuses counts that make no report (negative, fractional)', () => {
    expect(() =>
      buildReport(baseInput(c({ attempted: -1, connected: 0, handleSumMs: 0, handleCount: 0 }))),
    ).toThrow();
    expect(() =>
      buildReport(baseInput(c({ attempted: 1.5, connected: 0, handleSumMs: 0, handleCount: 0 }))),
    ).toThrow();
  });
});
