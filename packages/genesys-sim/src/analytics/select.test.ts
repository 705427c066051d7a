import { beforeAll, describe, expect, it } from 'vitest';
import { completeCampaign, createCampaign, startCampaign, stopCampaign } from '../model/campaigns';
import { SimState } from '../model/state';
import type { SimConversation } from '../model/types';
import { resolveOptions } from '../options';
import { aggregate } from './aggregate';
import { answerAggregates } from './answer';
import { parseAggregatesQuery, type QueryFilter } from './query';
import { campaignPins, candidateConversations } from './select';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const MIN = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

const pin = (value: string) => ({ dimension: 'outboundCampaignId', operator: 'matches', value });
const voice = { dimension: 'mediaType', operator: 'matches', value: 'voice' };
/** The filter wrapup's client sends. */
const clientFilter = (id: string) => ({ type: 'and', predicates: [pin(id), voice] });
/** Matches exactly what `filter` matches, but pins no campaign (every conversation has one). */
const unpinned = (filter: object) => ({
  type: 'or',
  clauses: [
    filter,
    { type: 'and', predicates: [{ dimension: 'outboundCampaignId', operator: 'notExists' }] },
  ],
});

/** Matches nothing (every conversation has a campaign); as a parsed filter. */
const noCampaign: QueryFilter = {
  type: 'and',
  predicates: [{ dimension: 'outboundCampaignId', operator: 'notExists', value: undefined }],
  clauses: [],
};

function newState(lagMs = 0, nowMs = T0 + 24 * 60 * MIN): SimState {
  return new SimState(
    resolveOptions({ demoCampaigns: false, analyticsLagMs: lagMs, now: () => nowMs }),
  );
}

/** The answer of a scan over every stored conversation (the pre-index behaviour). */
function fullScan(state: SimState, q: ReturnType<typeof parseAggregatesQuery>) {
  return aggregate(state.allConversations(), q, {
    nowMs: state.now(),
    lagMs: state.settings.analyticsLagMs,
  });
}

describe('campaignPins', () => {
  const pins = (filter: unknown) => {
    const q = parseAggregatesQuery({
      interval: `${iso(T0)}/${iso(T0 + MIN)}`,
      metrics: ['nOutbound'],
      filter,
    });
    const set = campaignPins(q.filter);
    return set && [...set].sort();
  };

  it('pins the campaign of the client filter', () => {
    expect(pins(clientFilter('a'))).toEqual(['a']);
  });

  it('pins through nested and/or clauses', () => {
    expect(pins({ type: 'and', predicates: [voice], clauses: [clientFilter('a')] })).toEqual(['a']);
    expect(pins({ type: 'or', predicates: [pin('b')], clauses: [clientFilter('a')] })).toEqual([
      'a',
      'b',
    ]);
    expect(pins({ type: 'and', predicates: [pin('a'), pin('b')] })).toEqual([]);
  });

  it('does not pin when some branch of an or, or the whole filter, leaves the campaign open', () => {
    expect(pins(undefined)).toBeUndefined();
    expect(pins({ type: 'and', predicates: [voice] })).toBeUndefined();
    expect(pins({ type: 'or', predicates: [pin('a'), voice] })).toBeUndefined();
    expect(pins(unpinned(clientFilter('a')))).toBeUndefined();
    expect(
      pins({ type: 'and', predicates: [{ dimension: 'outboundCampaignId', operator: 'exists' }] }),
    ).toBeUndefined();
  });
});

describe('indexed aggregates', () => {
  // Lag of 5 minutes with "now" inside campaign e's run, so visibility cuts some conversations.
  const state = newState(5 * MIN, T0 + 200 * MIN);

  beforeAll(() => {
    createCampaign(state, { id: 'a', contactCount: 300 });
    stopCampaign(state, 'a', { endAt: T0, durationSeconds: 3600, fraction: 0.5 });
    startCampaign(state, 'a');
    completeCampaign(state, 'a', { endAt: T0 + 90 * MIN, durationSeconds: 1800 });
    createCampaign(state, { id: 'b', contactCount: 200, agents: 3 });
    completeCampaign(state, 'b', { endAt: T0 + 30 * MIN, durationSeconds: 7200, abandonRate: 0.1 });
    createCampaign(state, { id: 'c', contactCount: 50 }); // never dialled
    createCampaign(state, { id: 'd', contactCount: 120 });
    stopCampaign(state, 'd', { endAt: T0 + 10 * MIN, durationSeconds: 600, forced: true });
    createCampaign(state, { id: 'e', contactCount: 150, alwaysRunning: true });
    completeCampaign(state, 'e', { endAt: T0 + 210 * MIN, durationSeconds: 3600 });
  });

  const filters: [string, unknown][] = [
    ['client filter a', clientFilter('a')],
    ['client filter b', clientFilter('b')],
    ['client filter c (no calls)', clientFilter('c')],
    ['client filter e (partly visible)', clientFilter('e')],
    ['unknown campaign', clientFilter('nope')],
    ['or of two campaigns', { type: 'or', predicates: [pin('d'), pin('a')] }],
    [
      'pin in a nested clause',
      {
        type: 'and',
        predicates: [voice],
        clauses: [{ type: 'or', predicates: [pin('b'), pin('e')] }],
      },
    ],
    ['conflicting pins', { type: 'and', predicates: [pin('a'), pin('b')] }],
    ['no pin', { type: 'and', predicates: [voice] }],
    ['no filter', undefined],
  ];
  const intervals: [string, number, number][] = [
    ['all time', T0 - 7 * 24 * 60 * MIN, T0 + 7 * 24 * 60 * MIN],
    ['the first hour', T0 - 60 * MIN, T0],
    ['a slice', T0 - 17 * MIN, T0 + 43 * MIN],
    ['around now', T0 + 150 * MIN, T0 + 260 * MIN],
    ['before everything', T0 - 30 * 24 * 60 * MIN, T0 - 29 * 24 * 60 * MIN],
  ];
  const shapes: { groupBy?: string[]; granularity?: string }[] = [
    {},
    { groupBy: ['outboundCampaignId'] },
    { groupBy: ['outboundCampaignId', 'wrapUpCode'], granularity: 'PT15M' },
    { groupBy: ['userId'], granularity: 'PT1H' },
  ];
  const metrics = [
    'nOutboundAttempted',
    'nOutboundConnected',
    'nOutboundAbandoned',
    'tHandle',
    'tTalk',
    'tAcw',
  ];

  for (const [label, filter] of filters)
    it(`answers like the full scan: ${label}`, () => {
      let nonEmpty = 0;
      for (const [, start, end] of intervals)
        for (const shape of shapes) {
          const body = {
            interval: `${iso(start)}/${iso(end)}`,
            metrics,
            ...shape,
            ...(filter ? { filter } : {}),
          };
          const q = parseAggregatesQuery(body);
          const indexed = answerAggregates(state, q);
          expect(indexed).toStrictEqual(fullScan(state, q));
          // The same query forced onto the unindexed path gives the same answer too. A clause may
          // not nest clauses (SDK model), so the no-op `or` is built on the parsed filter.
          if (q.filter)
            expect(
              answerAggregates(state, {
                ...q,
                filter: { type: 'or', predicates: [], clauses: [q.filter, noCampaign] },
              }),
            ).toStrictEqual(indexed);
          if (indexed.results) nonEmpty++;
        }
      const expectEmpty = [
        'client filter c (no calls)',
        'unknown campaign',
        'conflicting pins',
      ].includes(label);
      if (expectEmpty) expect(nonEmpty).toBe(0);
      else expect(nonEmpty).toBeGreaterThan(3);
    });

  it('counts an interval boundary the same way (start inclusive, end exclusive)', () => {
    const list = state.conversations.get('b') as SimConversation[];
    const pivot = (list[40] as SimConversation).startMs;
    for (const [start, end] of [
      [pivot, pivot + MIN],
      [pivot - MIN, pivot],
      [pivot, pivot + 1],
    ] as const) {
      const q = parseAggregatesQuery({
        interval: `${iso(start)}/${iso(end)}`,
        metrics: ['nOutbound'],
        filter: clientFilter('b'),
      });
      const truth = list.filter((c) => c.startMs >= start && c.startMs < end).length;
      const got = answerAggregates(state, q).results?.[0]?.data[0]?.metrics[0]?.stats;
      expect(got).toEqual(truth === 0 ? undefined : { count: truth });
      expect(answerAggregates(state, q)).toStrictEqual(fullScan(state, q));
    }
  });

  it('scans only the pinned campaigns, and only their conversations inside the interval', () => {
    const interval = `${iso(T0 - 17 * MIN)}/${iso(T0 + 43 * MIN)}`;
    const [start, end] = interval.split('/').map(Date.parse) as [number, number];
    // A conversation may hold a metric in the interval when it was dialled before the interval
    // end and ended at or after its start.
    const inRange = (id: string) =>
      (state.conversations.get(id) ?? []).filter((c) => c.startMs < end && c.endMs >= start).length;
    const scanned = (filter: unknown) => {
      const before = state.scannedConversations;
      answerAggregates(state, parseAggregatesQuery({ interval, metrics: ['nOutbound'], filter }));
      return state.scannedConversations - before;
    };
    expect(scanned(clientFilter('a'))).toBe(inRange('a'));
    expect(scanned({ type: 'or', predicates: [pin('a'), pin('b')] })).toBe(
      inRange('a') + inRange('b'),
    );
    const all = ['a', 'b', 'c', 'd', 'e'].reduce((n, id) => n + inRange(id), 0);
    expect(scanned(unpinned(clientFilter('a')))).toBe(all);
    expect(inRange('a')).toBeGreaterThan(0);
    expect(all).toBeGreaterThan(inRange('a') + inRange('b'));
  });
});

describe('metric times and the dial-start index', () => {
  it('finds a conversation by a metric time far after its dial start', () => {
    const state = newState(0, T0 + 10 * 24 * 60 * MIN);
    createCampaign(state, { id: 'long', contactCount: 60 });
    completeCampaign(state, 'long', {
      endAt: T0,
      durationSeconds: 3600,
      connectRate: 1,
      avgHandleMs: 600_000,
    });
    const list = state.conversations.get('long') as SimConversation[];
    const c = list.reduce((a, b) => (b.endMs - b.startMs > a.endMs - a.startMs ? b : a));
    // An interval after the dial and the talk, holding only the end of after-call work.
    const talkEnd = c.talkEndMs as number;
    const q = parseAggregatesQuery({
      interval: `${iso(talkEnd + 1)}/${iso(c.endMs + 1)}`,
      metrics: ['nOutboundAttempted', 'tTalk', 'tHandle', 'tAcw'],
      filter: clientFilter('long'),
    });
    const truth = list.filter(
      (x) => x.handleMs !== undefined && x.endMs > talkEnd && x.endMs <= c.endMs,
    ).length;
    const answer = answerAggregates(state, q);
    const metrics = answer.results?.[0]?.data[0]?.metrics ?? [];
    expect(metrics.find((m) => m.metric === 'tHandle')?.stats.count).toBe(truth);
    expect(metrics.find((m) => m.metric === 'tAcw')?.stats.count).toBe(truth);
    expect(truth).toBeGreaterThan(0);
    expect(c.startMs).toBeLessThan(talkEnd + 1 - 60_000); // dialled well before the interval
    expect(answer).toStrictEqual(fullScan(state, q));
  });

  it('shows each metric of a conversation at its own time plus the lag', () => {
    let now = 0;
    const s = new SimState(
      resolveOptions({ demoCampaigns: false, analyticsLagMs: 1000, now: () => now }),
    );
    createCampaign(s, { id: 'one', contactCount: 1 });
    completeCampaign(s, 'one', {
      endAt: T0,
      durationSeconds: 60,
      connectRate: 1,
      avgHandleMs: 60_000,
    });
    const c = (s.conversations.get('one') as SimConversation[])[0] as SimConversation;
    const q = parseAggregatesQuery({
      interval: `${iso(T0 - 60 * MIN)}/${iso(T0 + 60 * MIN)}`,
      metrics: ['nOutboundAttempted', 'nOutboundConnected', 'tTalk', 'tHandle'],
    });
    const names = () =>
      (answerAggregates(s, q).results?.[0]?.data[0]?.metrics ?? []).map((m) => m.metric);
    now = c.startMs + 999;
    expect(names()).toEqual([]);
    now = c.startMs + 1000;
    expect(names()).toEqual(['nOutboundAttempted']);
    now = c.contactedMs + 1000;
    expect(names()).toEqual(['nOutboundAttempted', 'nOutboundConnected']);
    now = (c.talkEndMs as number) + 1000;
    expect(names()).toEqual(['nOutboundAttempted', 'nOutboundConnected', 'tTalk']);
    now = c.endMs + 999;
    expect(names()).not.toContain('tHandle');
    now = c.endMs + 1000;
    expect(names()).toEqual(['nOutboundAttempted', 'nOutboundConnected', 'tTalk', 'tHandle']);
    // A jitter setting delays this conversation by its share of it.
    s.settings = { ...s.settings, analyticsLagJitterMs: 100_000 };
    expect(c.lagJitter).toBeGreaterThan(0);
    expect(names()).not.toContain('tHandle');
    now = c.endMs + 1000 + Math.ceil(c.lagJitter * 100_000);
    expect(names()).toContain('tHandle');
  });
});

describe('one campaign among 10,000', () => {
  it('is answered from its own conversations without touching the others', () => {
    const state = newState();
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      createCampaign(state, { id: `c${i}`, contactCount: 3, agents: 1 });
      completeCampaign(state, `c${i}`, {
        endAt: T0 + (i % 100) * MIN,
        durationSeconds: 600,
        connectRate: 1,
      });
    }
    const body = (id: string) => ({
      interval: `${iso(T0 - 60 * MIN)}/${iso(T0 + 200 * MIN)}`,
      groupBy: ['outboundCampaignId'],
      filter: clientFilter(id),
      metrics: ['nOutboundAttempted', 'nOutboundConnected', 'tHandle'],
    });
    const q = parseAggregatesQuery(body('c4242'));
    const before = state.scannedConversations;
    const answer = answerAggregates(state, q);
    expect(state.scannedConversations - before).toBe(3);
    expect(answer.results).toHaveLength(1);
    expect(answer.results?.[0]?.group).toEqual({ outboundCampaignId: 'c4242' });
    expect(answer.results?.[0]?.data[0]?.metrics.slice(0, 2)).toEqual([
      { metric: 'nOutboundAttempted', stats: { count: 3 } },
      { metric: 'nOutboundConnected', stats: { count: 3 } },
    ]);
    expect(answer).toStrictEqual(fullScan(state, q));
    expect(candidateConversations(state, q).every((c) => c.campaignId === 'c4242')).toBe(true);
  });
});
