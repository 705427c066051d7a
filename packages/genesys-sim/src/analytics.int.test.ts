import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAMPAIGN_METRICS } from '@wrapup/shared';
import type { AggregatesResponse } from './analytics/aggregate';
import { startSimulator, type Simulator } from './server';
import { aggregatesPath, api, getToken } from './testing/helpers';
import { VOICE_PREDICATE, campaignPredicate } from './testing/predicates';

const campaignFilter = (id: string) => ({
  type: 'and',
  predicates: [campaignPredicate(id), VOICE_PREDICATE],
});

const ALL_TIME = '2020-01-01T00:00:00.000Z/2035-01-01T00:00:00.000Z';

function metric(resp: AggregatesResponse, name: string, result = 0, bucket = 0) {
  return resp.results?.[result]?.data[bucket]?.metrics.find((m) => m.metric === name)?.stats;
}

describe('conversation aggregates', () => {
  let sim: Simulator;
  let token: string;
  const query = (body: unknown) => api<AggregatesResponse>(sim, token, aggregatesPath, body);
  /** Queries the campaign's nOutboundAttempted, over all time unless `window` says otherwise. */
  const attemptsOf = (
    campaignId: string,
    window: { interval?: string; granularity?: string } = {},
  ) =>
    query({
      interval: ALL_TIME,
      ...window,
      filter: campaignFilter(campaignId),
      metrics: ['nOutboundAttempted'],
    });

  beforeAll(async () => {
    sim = await startSimulator({ demoCampaigns: false, analyticsLagMs: 1000 });
    token = await getToken(sim);
    await sim.createCampaign({ id: 'guide', contactCount: 1500 });
    await sim.runToCompletion('guide', {
      outcomes: { attempted: 1500, connected: 450, avgHandleMs: 120_000 },
      endAt: '2025-03-01T12:00:00.000Z',
      durationSeconds: 3600,
    });
    await sim.createCampaign({ id: 'other', contactCount: 200 });
    await sim.runToCompletion('other', { endAt: '2025-03-01T12:30:00.000Z', durationSeconds: 600 });
  });
  afterAll(() => sim.close());

  it("reproduces the guide's numbers with exact outcomes", async () => {
    const res = await query({
      interval: '2025-03-01T10:55:00.000Z/2025-03-01T12:05:00.000Z',
      groupBy: ['outboundCampaignId'],
      filter: campaignFilter('guide'),
      metrics: [...CAMPAIGN_METRICS],
    });
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(1);
    expect(res.body.results?.[0]?.group).toEqual({ outboundCampaignId: 'guide' });
    expect(res.body.results?.[0]?.data[0]?.interval).toBe(
      '2025-03-01T10:55:00.000Z/2025-03-01T12:05:00.000Z',
    );
    expect(metric(res.body, 'nOutboundAttempted')).toEqual({ count: 1500 });
    expect(metric(res.body, 'nOutboundConnected')).toEqual({ count: 450 });
    expect(metric(res.body, 'nOutboundAbandoned')).toBeUndefined(); // zero counts are left out
    const handle = metric(res.body, 'tHandle') as {
      sum: number;
      count: number;
      min: number;
      max: number;
    };
    expect(handle.count).toBe(450);
    expect(handle.sum / handle.count / 1000).toBe(120);
    expect(handle.min).toBeLessThanOrEqual(handle.max);
    const talk = metric(res.body, 'tTalk') as { sum: number };
    const held = metric(res.body, 'tHeld') as { sum: number; count: number };
    const acw = metric(res.body, 'tAcw') as { sum: number };
    // Handle time is talk + hold + after-call work; only held calls have a tHeld.
    expect(talk.sum + held.sum + acw.sum).toBe(handle.sum);
    expect(held.count).toBeGreaterThan(0);
    expect(held.count).toBeLessThan(450);
  });

  it('counts each metric in the interval holding its own time (start inclusive, end exclusive)', async () => {
    const before = await query({
      interval: '2025-03-01T08:00:00.000Z/2025-03-01T10:00:00.000Z',
      metrics: ['nOutboundAttempted'],
    });
    expect(before.body).toEqual({});
    const half = '2025-03-01T11:30:00.000Z/2025-03-01T12:00:00.000Z';
    const [start, end] = half.split('/').map((s) => Date.parse(s)) as [number, number];
    const list = sim.state.conversations.get('guide') ?? [];
    const dials = list.filter((c) => c.startMs >= start && c.startMs < end).length;
    const handles = list.filter(
      (c) => c.handleMs !== undefined && c.endMs >= start && c.endMs < end,
    ).length;
    const res = await query({
      interval: half,
      filter: campaignFilter('guide'),
      metrics: ['nOutboundAttempted', 'tHandle'],
    });
    expect(metric(res.body, 'nOutboundAttempted')).toEqual({ count: dials });
    expect(metric(res.body, 'tHandle')?.count).toBe(handles);
    expect(dials).toBeGreaterThan(600);
    expect(dials).toBeLessThan(900); // the last dial is placed exactly at 12:00 and is excluded
    // Calls dialled before 11:30 whose handling ended after it count there by their tHandle time.
    const straddling = list.filter(
      (c) => c.handleMs !== undefined && c.startMs < start && c.endMs >= start && c.endMs < end,
    ).length;
    expect(straddling).toBeGreaterThan(0);
  });

  it('puts the after-call work of calls in progress at the finish after the finish', async () => {
    const finish = Date.parse('2025-03-01T12:00:00.000Z');
    const after = `2025-03-01T12:00:00.000Z/2025-03-01T13:00:00.000Z`;
    const res = await query({
      interval: after,
      filter: campaignFilter('guide'),
      metrics: ['nOutboundAttempted', 'tHandle', 'tAcw'],
    });
    const late = (sim.state.conversations.get('guide') ?? []).filter(
      (c) => c.handleMs !== undefined && c.endMs >= finish,
    );
    expect(late.length).toBeGreaterThan(0);
    expect(metric(res.body, 'nOutboundAttempted')).toEqual({ count: 1 }); // the last dial
    expect(metric(res.body, 'tHandle')?.count).toBe(late.length);
    expect(metric(res.body, 'tAcw')?.count).toBe(late.length);
    const expected = await sim.expected('guide');
    expect(expected.lastDial).toBe('2025-03-01T12:00:00.000Z');
    expect(Date.parse(expected.lastEnd as string)).toBeGreaterThan(finish);
  });

  it('filters by campaign and groups by campaign, with or-filters and nested clauses', async () => {
    const both = await query({
      interval: ALL_TIME,
      groupBy: ['outboundCampaignId'],
      filter: {
        type: 'or',
        predicates: [{ dimension: 'outboundCampaignId', value: 'guide' }],
        clauses: [
          {
            type: 'and',
            predicates: [{ dimension: 'outboundCampaignId', operator: 'matches', value: 'other' }],
          },
        ],
      },
      metrics: ['nOutboundAttempted'],
    });
    const groups = both.body.results?.map((r) => r.group.outboundCampaignId).sort();
    expect(groups).toEqual(['guide', 'other']);
    const other = both.body.results?.find((r) => r.group.outboundCampaignId === 'other');
    const otherTruth = await sim.expected('other');
    expect(other?.data[0]?.metrics[0]?.stats).toEqual({ count: otherTruth.attempted });
    expect(otherTruth.attempted).toBeGreaterThan(200); // recalls: more dials than contacts

    const none = await attemptsOf('nope');
    expect(none.status).toBe(200);
    expect(none.body).toEqual({});
  });

  it('groups by several dimensions and leaves out undefined ones', async () => {
    const res = await query({
      interval: ALL_TIME,
      groupBy: ['outboundCampaignId', 'userId'],
      filter: campaignFilter('other'),
      metrics: ['nOutboundAttempted', 'tHandle'],
    });
    const results = res.body.results ?? [];
    const withoutAgent = results.filter((r) => r.group.userId === undefined);
    expect(withoutAgent).toHaveLength(1);
    expect(results.length).toBeGreaterThan(2);
    const total = results.reduce(
      (n, r) => n + ((r.data[0]?.metrics[0]?.stats as { count: number }).count ?? 0),
      0,
    );
    const expected = await sim.expected('other');
    expect(total).toBe(expected.attempted);
    const handled = results.reduce(
      (n, r) => n + (r.data[0]?.metrics.find((m) => m.metric === 'tHandle')?.stats.count ?? 0),
      0,
    );
    expect(handled).toBe(expected.handled);
  });

  it('splits data into granularity buckets and leaves empty ones out', async () => {
    const res = await attemptsOf('guide', {
      interval: '2025-03-01T10:00:00.000Z/2025-03-01T13:00:00.000Z',
      granularity: 'PT1H',
    });
    const data = res.body.results?.[0]?.data ?? [];
    expect(data.map((d) => d.interval)).toEqual([
      '2025-03-01T11:00:00.000Z/2025-03-01T12:00:00.000Z',
      '2025-03-01T12:00:00.000Z/2025-03-01T13:00:00.000Z',
    ]);
    expect(data.map((d) => (d.metrics[0]?.stats as { count: number }).count)).toEqual([1499, 1]);

    const quarters = await attemptsOf('guide', {
      interval: '2025-03-01T11:00:00.000Z/2025-03-01T12:00:00.000Z',
      granularity: 'PT15M',
    });
    const q = quarters.body.results?.[0]?.data ?? [];
    expect(q).toHaveLength(4);
    expect(q.reduce((n, d) => n + (d.metrics[0]?.stats as { count: number }).count, 0)).toBe(1499);

    const day = await query({
      interval: '2025-03-01T00:00:00.000Z/2025-03-03T00:00:00.000Z',
      granularity: 'P1D',
      metrics: ['nOutboundAttempted'],
    });
    expect(day.body.results?.[0]?.data.map((d) => d.interval)).toEqual([
      '2025-03-01T00:00:00.000Z/2025-03-02T00:00:00.000Z',
    ]);
    const other = await sim.expected('other');
    expect(metric(day.body, 'nOutboundAttempted')).toEqual({ count: 1500 + other.attempted });
  });

  it('rejects invalid queries with 400 bad.request', async () => {
    const bad: [string, unknown][] = [
      ['missing interval', { metrics: ['nOutboundAttempted'] }],
      [
        'malformed interval',
        { interval: '2025-03-01/2025-03-02', metrics: ['nOutboundAttempted'] },
      ],
      [
        'no zone',
        { interval: '2025-03-01T00:00:00/2025-03-02T00:00:00', metrics: ['nOutboundAttempted'] },
      ],
      [
        'end before start',
        { interval: '2025-03-02T00:00:00Z/2025-03-01T00:00:00Z', metrics: ['nOutboundAttempted'] },
      ],
      ['unknown metric', { interval: ALL_TIME, metrics: ['nOutboundAttempted', 'nBogus'] }],
      ['no metrics', { interval: ALL_TIME, metrics: [] }],
      [
        'unknown groupBy',
        { interval: ALL_TIME, groupBy: ['campaignId'], metrics: ['nOutboundAttempted'] },
      ],
      [
        'unknown filter dimension',
        {
          interval: ALL_TIME,
          filter: { type: 'and', predicates: [{ dimension: 'campaign', value: 'x' }] },
          metrics: ['nOutboundAttempted'],
        },
      ],
      [
        'bad filter type',
        {
          interval: ALL_TIME,
          filter: { type: 'xor', predicates: [{ dimension: 'mediaType', value: 'voice' }] },
          metrics: ['nOutboundAttempted'],
        },
      ],
      [
        'empty filter',
        {
          interval: ALL_TIME,
          filter: { type: 'and', predicates: [] },
          metrics: ['nOutboundAttempted'],
        },
      ],
      [
        'bad granularity',
        { interval: ALL_TIME, granularity: '15 minutes', metrics: ['nOutboundAttempted'] },
      ],
      [
        'bad time zone',
        { interval: ALL_TIME, timeZone: 'Mars/Olympus', metrics: ['nOutboundAttempted'] },
      ],
      ['not JSON', '{"interval":'],
      [
        'predicate of an unknown type',
        {
          interval: ALL_TIME,
          filter: {
            type: 'and',
            predicates: [{ type: 'bogus', dimension: 'mediaType', value: 'voice' }],
          },
          metrics: ['nOutboundAttempted'],
        },
      ],
      [
        'clause without predicates',
        {
          interval: ALL_TIME,
          filter: { type: 'and', clauses: [{ type: 'or' }] },
          metrics: ['nOutboundAttempted'],
        },
      ],
    ];
    for (const [name, body] of bad) {
      const res = await query(body);
      expect(res.status, name).toBe(400);
      expect(res.body, name).toMatchObject({ code: 'bad.request', status: 400 });
      const { message, contextId } = res.body as { message?: unknown; contextId?: unknown };
      expect(typeof message, name).toBe('string');
      expect(contextId, name).toBe(res.headers.get('inin-correlation-id'));
    }
  });

  it('rejects a clause holding clauses (a clause has only type and predicates), naming the path', async () => {
    const voice = VOICE_PREDICATE;
    const res = await query({
      interval: ALL_TIME,
      filter: {
        type: 'and',
        predicates: [voice],
        clauses: [
          { type: 'or', predicates: [voice] },
          { type: 'or', predicates: [voice], clauses: [{ type: 'and', predicates: [voice] }] },
        ],
      },
      metrics: ['nOutboundAttempted'],
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'bad.request', status: 400 });
    expect((res.body as { message: string }).message).toContain('filter.clauses[1].clauses');
    // metric and property predicates are valid SDK types the simulator does not evaluate.
    const metricPredicate = await query({
      interval: ALL_TIME,
      filter: {
        type: 'and',
        predicates: [{ type: 'metric', metric: 'tHandle', operator: 'exists' }],
      },
      metrics: ['nOutboundAttempted'],
    });
    expect(metricPredicate.status).toBe(400);
    expect((metricPredicate.body as { message: string }).message).toMatch(
      /not supported by the simulator/,
    );
    // The flat form a clause allows is answered.
    const ok = await query({
      interval: ALL_TIME,
      filter: { type: 'and', predicates: [voice], clauses: [{ type: 'or', predicates: [voice] }] },
      metrics: ['nOutboundAttempted'],
    });
    expect(ok.status).toBe(200);
  });

  it('delays a conversation by its share of analyticsLagJitterMs, set at runtime', async () => {
    await sim.createCampaign({ id: 'jitter', contactCount: 30 });
    await sim.setFaults({ analyticsLagJitterMs: 3_600_000 });
    try {
      const run = await sim.runToCompletion('jitter', {
        endAt: Date.now() - 60_000,
        durationSeconds: 1,
        avgHandleMs: 1500,
        maxAttemptsPerContact: 1,
      });
      expect(Date.parse(run.expected.visibleAt as string)).toBeGreaterThan(Date.now() + 60_000);
      const res = await attemptsOf('jitter');
      // Every dial is older than the 1 s lag, but most are held back by up to an hour of jitter.
      expect(metric(res.body, 'nOutboundAttempted')?.count ?? 0).toBeLessThan(20);
    } finally {
      await sim.setFaults({ analyticsLagJitterMs: 0 });
    }
    const after = await attemptsOf('jitter');
    expect(metric(after.body, 'nOutboundAttempted')).toEqual({ count: 30 });
  });

  it('rejects intervals longer than maxIntervalDays when set', async () => {
    await sim.setFaults({ maxIntervalDays: 7 });
    try {
      const res = await query({
        interval: '2025-03-01T00:00:00Z/2025-03-09T00:00:00Z',
        metrics: ['nOutboundAttempted'],
      });
      expect(res.status).toBe(400);
      const ok = await query({
        interval: '2025-03-01T00:00:00Z/2025-03-08T00:00:00Z',
        metrics: ['nOutboundAttempted'],
      });
      expect(ok.status).toBe(200);
    } finally {
      await sim.setFaults({ maxIntervalDays: null });
    }
  });

  it('shows a conversation only analyticsLagMs after it ended', async () => {
    await sim.createCampaign({ id: 'fresh', contactCount: 40 });
    const run = await sim.runToCompletion('fresh', {
      durationSeconds: 2,
      avgHandleMs: 1500,
      maxAttemptsPerContact: 1,
    });
    const body = {
      interval: ALL_TIME,
      filter: campaignFilter('fresh'),
      metrics: ['nOutboundAttempted'],
    };
    const early = await query(body);
    const earlyCount = metric(early.body, 'nOutboundAttempted')?.count ?? 0;
    expect(earlyCount).toBeGreaterThan(0);
    expect(earlyCount).toBeLessThan(40);
    expect(run.expected.visibleAt).not.toBeNull();
    await sleep(Date.parse(run.expected.visibleAt as string) - Date.now() + 50);
    const later = await query(body);
    expect(metric(later.body, 'nOutboundAttempted')).toEqual({ count: 40 });
  });

  it('answers {} right after completion when every conversation is newer than the lag', async () => {
    await sim.createCampaign({ id: 'instant', contactCount: 10 });
    await sim.runToCompletion('instant', { durationSeconds: 0.05 });
    const res = await attemptsOf('instant');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
  });
});
