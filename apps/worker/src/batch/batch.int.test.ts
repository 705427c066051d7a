import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Simulator } from '@wrapup/genesys-sim';
import { createRedisFixture } from '@wrapup/shared/testing';
import { clientFor, simWith } from '../testing/genesys';
import { batchedGenesys, createBatchSender } from './batched-genesys';
import { BatchCoordinator, requestKey, type BatchRequest } from './coordinator';
import { DEFAULT_BATCH_LIMITS, planBatch } from './plan';

const AGGREGATES = '/api/v2/analytics/conversations/aggregates/query';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function sim(): Promise<Simulator> {
  const s = await simWith({ rateLimitPerMinute: 100_000 });
  cleanups.push(() => s.close());
  return s;
}

const MIN = 60_000;
const at = (ms: number) => new Date(ms).toISOString();
const iv = (from: number, to: number) => `${at(from)}/${at(to)}`;

/** Campaigns that ran for 40 minutes ending `endAt`, their calls spread over the run. */
async function finished(s: Simulator, ids: string[], endAt: number, contacts = 30) {
  for (const id of ids) {
    await s.createCampaign({ id, contactCount: contacts });
    await s.runToCompletion(id, { durationSeconds: 2400, endAt });
  }
}

const aggregateCalls = async (s: Simulator) =>
  (await s.requestLog()).filter((r) => r.path === AGGREGATES);

describe('batched aggregates queries against the simulator', () => {
  it('gives each run exactly the counts its own query gives, runs of one campaign with different windows included', async () => {
    const s = await sim();
    // whole minutes, an hour ago, so every metric is visible
    const end = Math.floor((Date.now() - 60 * MIN) / MIN) * MIN;
    await finished(s, ['camp-a', 'camp-b', 'camp-c'], end);
    const { client } = clientFor(s);
    const entries = [
      // two runs of camp-a whose windows overlap and cut through its calls
      { campaignId: 'camp-a', interval: iv(end - 45 * MIN, end - 20 * MIN) },
      { campaignId: 'camp-a', interval: iv(end - 30 * MIN, end + 5 * MIN) },
      { campaignId: 'camp-b', interval: iv(end - 41 * MIN, end + 3 * MIN) },
      // the same window as camp-a's first run
      { campaignId: 'camp-c', interval: iv(end - 45 * MIN, end - 20 * MIN) },
    ];
    const plan = planBatch(entries);
    expect(plan).toHaveLength(1);
    expect(plan[0]?.body.granularity).toBe('PT1M');

    await s.resetLog();
    const requests = new Map<string, BatchRequest>(
      entries.map((e) => {
        const r: BatchRequest = { kind: 'analytics', ...e };
        return [requestKey(r), r];
      }),
    );
    const answers = await createBatchSender(client)(requests);
    expect(await aggregateCalls(s)).toHaveLength(1);

    for (const [key, r] of requests) {
      if (r.kind !== 'analytics') throw new Error('analytics only');
      const own = await client.campaignAnalytics({
        campaignId: r.campaignId,
        interval: r.interval,
      });
      const answer = answers.get(key) as {
        ok: true;
        value: {
          counts: typeof own.counts;
          hourly?: { attempted: number; connected: number; abandoned: number }[];
        };
      };
      expect(answer, key).toMatchObject({ ok: true, value: { counts: own.counts } });
      // the same buckets give the run's hourly series (no extra call): it sums to its counts
      const hourly = answer.value.hourly ?? [];
      expect(hourly.length, key).toBeGreaterThan(0);
      const sum = (f: 'attempted' | 'connected' | 'abandoned') =>
        hourly.reduce((n, h) => n + h[f], 0);
      expect([sum('attempted'), sum('connected'), sum('abandoned')], key).toEqual([
        own.counts.attempted,
        own.counts.connected,
        own.counts.abandoned,
      ]);
    }
    // the windows really cut: camp-a's runs count different, partial numbers
    const a1 = answers.get(requestKey({ kind: 'analytics', ...entries[0]! }));
    const a2 = answers.get(requestKey({ kind: 'analytics', ...entries[1]! }));
    const counts = (x: typeof a1) =>
      x?.ok ? (x.value as { counts: { attempted: number } }).counts.attempted : -1;
    expect(counts(a1)).toBeGreaterThan(0);
    expect(counts(a2)).toBeGreaterThan(0);
    expect(counts(a1)).not.toBe(counts(a2));
    expect(counts(a1) + counts(a2)).toBeGreaterThan(30);
  });

  it('splits a batch the API would refuse (too many predicates) and still answers every run exactly', async () => {
    const s = await sim();
    const end = Math.floor((Date.now() - 60 * MIN) / MIN) * MIN;
    const ids = Array.from({ length: 130 }, (_, i) => `camp-${String(i).padStart(3, '0')}`);
    await finished(s, ids, end, 2);
    const { client } = clientFor(s);
    const interval = iv(end - 45 * MIN, end + 5 * MIN);
    const requests = new Map<string, BatchRequest>(
      ids.map((campaignId) => {
        const r: BatchRequest = { kind: 'analytics', campaignId, interval };
        return [requestKey(r), r];
      }),
    );

    // a planner that ignores the predicate limit: the simulator refuses, the sender splits
    await s.resetLog();
    const careless = await createBatchSender(client, {
      ...DEFAULT_BATCH_LIMITS,
      maxPredicates: 10_000,
    })(requests);
    const calls = await aggregateCalls(s);
    expect(calls.map((c) => c.status)).toEqual([400, 200, 200]);

    // the default plan stays within the limit: two queries, none refused
    await s.resetLog();
    const planned = await createBatchSender(client)(requests);
    expect((await aggregateCalls(s)).map((c) => c.status)).toEqual([200, 200]);

    for (const [key, r] of requests) {
      if (r.kind !== 'analytics') throw new Error('analytics only');
      const own = await client.campaignAnalytics({ campaignId: r.campaignId, interval });
      expect(own.counts.attempted).toBeGreaterThan(0);
      expect(careless.get(key)).toMatchObject({ ok: true, value: { counts: own.counts } });
      expect(planned.get(key)).toMatchObject({ ok: true, value: { counts: own.counts } });
    }
  });

  it('answers campaigns and progress from the bulk endpoints, 100 ids a call', async () => {
    const s = await sim();
    const ids = Array.from({ length: 120 }, (_, i) => `bulk-${i}`);
    await finished(s, ids, Date.now() - 60 * MIN, 1);
    const { client } = clientFor(s);
    await s.resetLog();
    const campaigns = await client.getCampaignsByIds([...ids, 'no-such-campaign']);
    expect(campaigns.map((c) => c.id).sort()).toEqual([...ids].sort());
    const progress = await client.getCampaignsProgress(ids);
    expect(progress).toHaveLength(120);
    expect(progress.every((p) => p.numberOfContactsCalled === 1)).toBe(true);
    const log = (await s.requestLog()).filter((r) => r.path.startsWith('/api/'));
    expect(log.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /api/v2/outbound/campaigns 200',
      'GET /api/v2/outbound/campaigns 200',
      'POST /api/v2/outbound/campaigns/progress 200',
      'POST /api/v2/outbound/campaigns/progress 200',
    ]);
    // the simulator refuses a list over the limit, as a production batch that big would be
    const { client: raw } = clientFor(s);
    await expect(
      raw.queryAggregates({
        interval: iv(Date.now() - 60 * MIN, Date.now()),
        metrics: ['nOutboundAttempted'],
        filter: {
          type: 'or',
          predicates: Array.from({ length: 101 }, (_, i) => ({
            dimension: 'outboundCampaignId',
            value: `x-${i}`,
          })),
        },
      }),
    ).rejects.toMatchObject({ status: 400 });
  });
});

describe('bulk lookups with an id the platform refuses', () => {
  it('splits a refused list so that one unknown campaign never fails the others', async () => {
    const s = await sim();
    const ids = ['good-a', 'good-b', 'good-c'];
    await finished(s, ids, Date.now() - 60 * MIN, 2);
    await s.setFaults({ refuseUnknownIds: true });
    const { client } = clientFor(s);
    const requests = new Map<string, BatchRequest>();
    for (const campaignId of [...ids, 'no-such-campaign']) {
      for (const kind of ['campaign', 'progress'] as const) {
        const r: BatchRequest = { kind, campaignId };
        requests.set(requestKey(r), r);
      }
    }
    await s.resetLog();
    const answers = await createBatchSender(client)(requests);
    for (const id of ids) {
      expect(answers.get(requestKey({ kind: 'campaign', campaignId: id }))).toMatchObject({
        ok: true,
        value: { id },
      });
      expect(answers.get(requestKey({ kind: 'progress', campaignId: id }))).toMatchObject({
        ok: true,
        value: { campaign: { id }, numberOfContactsCalled: 2 },
      });
    }
    // only the unknown campaign's own answers are the error
    for (const kind of ['campaign', 'progress'] as const)
      expect(answers.get(requestKey({ kind, campaignId: 'no-such-campaign' }))).toMatchObject({
        ok: false,
        status: 400,
      });
    // halved until the bad id was alone: 4 ids -> 2 + 2 -> the bad pair as 1 + 1, per endpoint
    const log = (await s.requestLog()).filter((r) => r.path.startsWith('/api/'));
    expect(log.filter((r) => r.status === 400)).toHaveLength(6);
    expect(log.filter((r) => r.status === 200)).toHaveLength(4);
  });
});

describe('the batch window across worker processes', () => {
  it('answers runs waiting in two processes with one batch, and falls back when no sender answers', async () => {
    const s = await sim();
    const end = Math.floor((Date.now() - 60 * MIN) / MIN) * MIN;
    const ids = ['p-1', 'p-2', 'p-3', 'p-4'];
    await finished(s, ids, end, 5);
    const fx = await createRedisFixture('batch');
    cleanups.push(() => fx.cleanup());
    const { client } = clientFor(s);
    const logger = pino({ level: 'silent' });
    const processes = [0, 1].map(() => {
      const redis = new Redis(fx.redisUrl, { maxRetriesPerRequest: null });
      const subscriber = new Redis(fx.redisUrl, { maxRetriesPerRequest: null });
      const coordinator = new BatchCoordinator({
        redis,
        subscriber,
        prefix: fx.prefix,
        windowMs: 100,
        send: createBatchSender(client),
        logger,
      });
      cleanups.push(async () => {
        await coordinator.close();
        await Promise.all([redis.quit(), subscriber.quit()]);
      });
      return { coordinator, genesys: batchedGenesys(client, coordinator) };
    });
    await s.resetLog();
    const interval = iv(end - 45 * MIN, end + 5 * MIN);
    const results = await Promise.all(
      ids.flatMap((campaignId, i) => {
        const p = processes[i % 2]!.genesys;
        return [
          p.campaignAnalytics({ campaignId, interval }),
          p.getCampaign(campaignId),
          p.getCampaignProgress(campaignId),
        ];
      }),
    );
    const log = (await s.requestLog()).filter((r) => r.path.startsWith('/api/'));
    expect(log.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /api/v2/outbound/campaigns',
      `POST ${AGGREGATES}`,
      'POST /api/v2/outbound/campaigns/progress',
    ]);
    for (const [i, campaignId] of ids.entries()) {
      const own = await client.campaignAnalytics({ campaignId, interval });
      expect(results[i * 3]).toMatchObject({ counts: own.counts });
      expect(results[i * 3 + 1]).toMatchObject({ id: campaignId });
      expect(results[i * 3 + 2]).toMatchObject({ numberOfContactsCalled: 5 });
    }
    // answers are not kept across batches (by default): a validation asked again later asks
    // Genesys again, since the campaign's status may have changed; a check too (the settle rule
    // compares fresh data)
    await s.resetLog();
    expect(await processes[1]!.genesys.getCampaign('p-1')).toMatchObject({ id: 'p-1' });
    expect((await s.requestLog()).filter((r) => r.path.startsWith('/api/'))).toHaveLength(1);
    await processes[1]!.genesys.campaignAnalytics({ campaignId: 'p-1', interval });
    expect(await aggregateCalls(s)).toHaveLength(1);

    // a sender that never answers (it died holding the lock): the waiter falls back on its own
    const redis = new Redis(fx.redisUrl, { maxRetriesPerRequest: null });
    const subscriber = new Redis(fx.redisUrl, { maxRetriesPerRequest: null });
    cleanups.push(() => Promise.all([redis.quit(), subscriber.quit()]));
    await redis.set(`${fx.prefix}:gbatch:lock`, 'dead-sender', 'PX', 60_000);
    const stuck = new BatchCoordinator({
      redis,
      subscriber,
      prefix: fx.prefix,
      windowMs: 50,
      waitTimeoutMs: 500,
      send: createBatchSender(client),
      logger,
    });
    cleanups.push(() => stuck.close());
    await s.resetLog();
    const other = iv(end - 44 * MIN, end + 5 * MIN);
    const fallback = await batchedGenesys(client, stuck).campaignAnalytics({
      campaignId: 'p-2',
      interval: other,
    });
    const own = await client.campaignAnalytics({ campaignId: 'p-2', interval: other });
    expect(fallback).toEqual({ counts: own.counts });
    expect(stuck.stats.timeouts).toBe(1);
  });
});
