import { describe, expect, it } from 'vitest';
import { campaignAggregatesQuery } from '../clients/genesys/analytics';
import { extractCounts, hourlySeries } from '@wrapup/shared';
import {
  alignInterval,
  batchable,
  DEFAULT_BATCH_LIMITS,
  entryCounts,
  entryHourly,
  IndexedAnswer,
  planBatch,
} from './plan';

const MIN = 60_000;
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const iv = (from: number, to: number) =>
  `${new Date(T0 + from * MIN).toISOString()}/${new Date(T0 + to * MIN).toISOString()}`;

describe('alignInterval', () => {
  it('floors the start and ceils the end to whole minutes, and keeps aligned intervals', () => {
    expect(alignInterval('2026-12-01T10:00:30.250Z/2026-12-01T10:40:00.001Z')).toBe(
      '2026-12-01T10:00:00.000Z/2026-12-01T10:41:00.000Z',
    );
    expect(alignInterval(iv(0, 40))).toBe(iv(0, 40));
  });
});

describe('planBatch', () => {
  it("sends one campaign's single window as the single-run query, in buckets that fit the hours", () => {
    const [q, ...rest] = planBatch([{ campaignId: 'a', interval: iv(0, 40) }]);
    expect(rest).toEqual([]);
    // 40 minutes from 10:00: 20-minute buckets tile the window and never straddle an hour
    expect(q?.body).toEqual({ ...campaignAggregatesQuery('a', iv(0, 40)), granularity: 'PT20M' });
    expect(q?.bucketed).toBe(true);
    // from 10:07 to 10:47: 1-minute buckets are the largest that start on their own boundary
    expect(planBatch([{ campaignId: 'a', interval: iv(7, 47) }])[0]?.body.granularity).toBe('PT1M');
    // a window off the minute grid: no buckets (the counts need none)
    const off = `${new Date(T0 + 1000).toISOString()}/${new Date(T0 + 40 * MIN).toISOString()}`;
    expect(planBatch([{ campaignId: 'a', interval: off }])[0]?.bucketed).toBe(false);
  });

  it('puts at most 99 campaigns in a query (with mediaType, 100 predicates)', () => {
    const entries = Array.from({ length: 250 }, (_, i) => ({
      campaignId: `c-${String(i).padStart(3, '0')}`,
      interval: iv(0, 40),
    }));
    const plan = planBatch(entries);
    expect(plan.map((q) => q.members.length)).toEqual([99, 99, 52]);
    for (const q of plan) {
      const predicates =
        (q.body.filter?.predicates?.length ?? 0) +
        (q.body.filter?.clauses ?? []).reduce((n, c) => n + (c.predicates?.length ?? 0), 0);
      expect(predicates).toBeLessThanOrEqual(DEFAULT_BATCH_LIMITS.maxPredicates);
      expect(q.body.granularity).toBe('PT20M');
    }
    expect(plan.flatMap((q) => q.members).sort((a, b) => a - b)).toEqual(entries.map((_, i) => i));
  });

  it('shares a query over differing windows with the granularity that divides every edge', () => {
    const plan = planBatch([
      { campaignId: 'a', interval: iv(0, 40) },
      { campaignId: 'a', interval: iv(10, 50) },
      { campaignId: 'b', interval: iv(20, 30) },
    ]);
    expect(plan).toHaveLength(1);
    expect(plan[0]?.body.interval).toBe(iv(0, 50));
    expect(plan[0]?.body.granularity).toBe('PT10M');
    expect(plan[0]?.bucketed).toBe(true);
  });

  it('groups by identical window when the buckets would be too many or the union too long', () => {
    const plan = planBatch(
      [
        { campaignId: 'a', interval: iv(0, 40) },
        { campaignId: 'b', interval: iv(1, 40) },
        { campaignId: 'c', interval: iv(0, 40) },
      ],
      { ...DEFAULT_BATCH_LIMITS, maxBuckets: 39 },
    );
    expect(plan.map((q) => [q.body.interval, q.members, q.body.granularity])).toEqual([
      [iv(0, 40), [0, 2], undefined],
      [iv(1, 40), [1], undefined],
    ]);
    // a window off the minute grid goes alone; the whole-minute ones still share a granularity
    const mixed = planBatch([
      { campaignId: 'a', interval: iv(0, 40) },
      { campaignId: 'b', interval: iv(10, 40) },
      {
        campaignId: 'c',
        interval: `${new Date(T0 + 30_000).toISOString()}/${new Date(T0 + 40 * MIN).toISOString()}`,
      },
    ]);
    expect(mixed.map((q) => [q.members, q.body.granularity])).toEqual([
      [[0, 1], 'PT10M'],
      [[2], undefined],
    ]);
    const week = 7 * 24 * 60;
    expect(batchable(iv(0, week))).toBe(true);
    expect(batchable(iv(0, week + 1))).toBe(false);
    const far = planBatch([
      { campaignId: 'a', interval: iv(0, 60) },
      { campaignId: 'b', interval: iv(week, week + 60) },
    ]);
    expect(far.map((q) => q.body.granularity)).toEqual([undefined, undefined]);
  });
});

describe('entryCounts', () => {
  it("sums only its campaign's buckets inside its window", () => {
    const bucket = (from: number, to: number, n: number) => ({
      interval: iv(from, to),
      metrics: [{ metric: 'nOutboundAttempted', stats: { count: n } }],
    });
    const resp = {
      results: [
        {
          group: { outboundCampaignId: 'a' },
          data: [bucket(0, 10, 1), bucket(10, 20, 2), bucket(20, 30, 4)],
        },
        { group: { outboundCampaignId: 'b' }, data: [bucket(10, 20, 8)] },
      ],
    };
    expect(entryCounts(resp, { campaignId: 'a', interval: iv(10, 30) }, true).attempted).toBe(6);
    expect(entryCounts(resp, { campaignId: 'a', interval: iv(0, 20) }, true).attempted).toBe(3);
    expect(entryCounts(resp, { campaignId: 'b', interval: iv(0, 10) }, true).attempted).toBe(0);
    // not bucketed: the whole answer is the window
    expect(entryCounts(resp, { campaignId: 'a', interval: iv(10, 30) }, false).attempted).toBe(7);
  });

  it('reads an indexed answer exactly as the whole answer, shared results included', () => {
    const bucket = (from: number, to: number, n: number) => ({
      interval: iv(from, to),
      metrics: [
        { metric: 'nOutboundAttempted', stats: { count: n } },
        { metric: 'tHandle', stats: { count: n, sum: n * 1000 } },
      ],
    });
    // a result with no campaign dimension comes between campaigns' results: it counts for each
    const resp = {
      results: [
        { group: { outboundCampaignId: 'a', wrapUpCode: 'x' }, data: [bucket(0, 10, 1)] },
        { group: {}, data: [bucket(0, 10, 16)] },
        { group: { outboundCampaignId: 'b', wrapUpCode: 'y' }, data: [bucket(10, 20, 8)] },
        { group: { outboundCampaignId: 'a', wrapUpCode: 'z' }, data: [bucket(10, 20, 2)] },
      ],
    };
    const own = (campaignId: string) =>
      resp.results.filter(
        (r) => !('outboundCampaignId' in r.group) || r.group.outboundCampaignId === campaignId,
      );
    const idx = new IndexedAnswer(resp);
    for (const campaignId of ['a', 'b', 'c']) {
      const entry = { campaignId, interval: iv(0, 20) };
      expect(entryCounts(idx, entry, false)).toEqual(extractCounts(resp, campaignId));
      expect(entryCounts(idx, entry, true)).toEqual(extractCounts(resp, campaignId));
      // the hourly series as a query of this campaign alone would give it
      expect(entryHourly(idx, entry)).toEqual(
        hourlySeries({ results: own(campaignId) }, campaignId, entry.interval),
      );
    }
    // another campaign's bucket that straddles an hour does not cost this one its series
    const straddling = {
      results: [
        ...resp.results,
        {
          group: { outboundCampaignId: 'b' },
          data: [{ interval: iv(50, 70), metrics: bucket(0, 1, 1).metrics }],
        },
      ],
    };
    expect(entryHourly(straddling, { campaignId: 'a', interval: iv(0, 120) })).toEqual(
      hourlySeries({ results: own('a') }, 'a', iv(0, 120)),
    );
    expect(entryHourly(straddling, { campaignId: 'b', interval: iv(0, 120) })).toBeUndefined();
    expect(entryCounts(idx, { campaignId: 'a', interval: iv(0, 20) }, true).attempted).toBe(19);
    expect(entryCounts(idx, { campaignId: 'c', interval: iv(0, 20) }, true).attempted).toBe(16);
    expect(entryCounts(idx, { campaignId: 'b', interval: iv(10, 20) }, true).attempted).toBe(8);
  });
});
