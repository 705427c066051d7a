import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { buildReport, zeroCounts, type Report } from '@wrapup/shared';
import { recordCommands } from '@wrapup/shared/testing';
import { MAX_RECENT_RUNS } from './intake.lua';
import { MAX_REPORT_COPY_BYTES } from './report-copy';
import { finishInput, runStoreFor, useIntakeHarness } from './testing/intake';

const h = useIntakeHarness('recent');

/** A finish of `campaignId` at minute `i` past 10:00, received a second later. */
const finishOf = (campaignId: string, i: number) => {
  const at = Date.parse('2024-05-01T10:00:00.000Z') + i * 60_000;
  return finishInput({
    eventId: `evt-${campaignId}-${i}`,
    campaignId,
    occurredAt: new Date(at).toISOString(),
    now: new Date(at + 1000).toISOString(),
  });
};

const reportFor = (runId: string, campaignId: string, over: Partial<Report> = {}): Report => ({
  ...buildReport({
    runId,
    campaignId,
    status: 'completed',
    occurredAt: '2024-05-01T10:00:00.000Z',
    counts: {
      ...zeroCounts(),
      attempted: 100,
      connected: 40,
      abandoned: 2,
      handleSumMs: 3_800_000,
      handleCount: 38,
    },
    expectedCount: 100,
    waitedMs: 1000,
    interval: '2024-05-01T08:00:00.000Z/2024-05-01T10:30:00.000Z',
    complete: true,
    generatedAt: '2024-05-01T10:31:00.000Z',
  }),
  campaignName: 'Spring <renewals>',
  hourly: [
    { hour: '2024-05-01T08:00:00.000Z', attempted: 60, connected: 20, abandoned: 1 },
    { hour: '2024-05-01T09:00:00.000Z', attempted: 30, connected: 15, abandoned: 1 },
    { hour: '2024-05-01T10:00:00.000Z', attempted: 10, connected: 5, abandoned: 0 },
  ],
  ...over,
});

describe('the recent-runs index', () => {
  it('is written by the intake with each new run, scored by its creation, expiring with the runs', async () => {
    const a = await h.intake(finishOf('camp-a', 0));
    const b = await h.intake(finishOf('camp-b', 1));
    // a duplicate adds nothing
    await h.intake(finishOf('camp-a', 0));
    const recent = h.store.keys.recent;
    expect(recent).toBe(`${h.fx.prefix}:runs:recent`);
    expect(await h.fx.redis.zrevrange(recent, 0, -1, 'WITHSCORES')).toEqual([
      b.runId,
      String(Date.parse('2024-05-01T10:01:01.000Z')),
      a.runId,
      String(Date.parse('2024-05-01T10:00:01.000Z')),
    ]);
    const ttl = await h.fx.redis.ttl(recent);
    expect(ttl).toBeGreaterThan(719 * 3600);
    expect(ttl).toBeLessThanOrEqual(720 * 3600);
  });

  it('keeps the newest MAX_RECENT_RUNS entries', async () => {
    const recent = h.store.keys.recent;
    const filler: (string | number)[] = [];
    for (let i = 0; i < MAX_RECENT_RUNS; i++) filler.push(i, `run-old-${i}`);
    await h.fx.redis.zadd(recent, ...filler);
    const fresh = await h.intake(finishOf('camp-a', 5));
    expect(await h.fx.redis.zcard(recent)).toBe(MAX_RECENT_RUNS);
    expect(await h.fx.redis.zscore(recent, 'run-old-0')).toBeNull();
    expect(await h.fx.redis.zscore(recent, 'run-old-1')).not.toBeNull();
    expect((await h.fx.redis.zrevrange(recent, 0, 0))[0]).toBe(fresh.runId);
  });

  it('is written under a fence too (the lease key stays where the script looks for it)', async () => {
    const fence = { key: `${h.fx.prefix}:lease`, token: 'tok-1' };
    await h.fx.redis.set(fence.key, 'tok-1');
    const held = await h.store.intake({ ...finishOf('camp-f', 0), fence });
    expect(held.outcome).toBe('new');
    await h.fx.redis.set(fence.key, 'tok-2');
    const lost = await h.store.intake({ ...finishOf('camp-f', 9), fence });
    expect(lost.outcome).toBe('fenced');
    expect(await h.fx.redis.zrange(h.store.keys.recent, 0, -1)).toEqual([held.runId]);
  });
});

describe('RunStore.listRecent', () => {
  it('pages runs across campaigns newest first, and filters by stage and campaign', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++)
      ids.push((await h.intake(finishOf(i % 2 ? 'odd' : 'even', i))).runId);
    await h.store.setStage(ids[1] ?? '', 'delivered');
    await h.store.setStage(ids[4] ?? '', 'delivered');
    await h.store.setStage(ids[5] ?? '', 'failed', { lastError: 'boom' });
    const newest = [...ids].reverse();

    const first = await h.store.listRecent({ limit: 3 });
    expect(first.runs.map((r) => r.runId)).toEqual(newest.slice(0, 3));
    expect(first).toMatchObject({ more: true, indexed: 7, truncated: false });
    const last = await h.store.listRecent({ offset: 6, limit: 3 });
    expect(last.runs.map((r) => r.runId)).toEqual(newest.slice(6));
    expect(last.more).toBe(false);

    const delivered = await h.store.listRecent({ stage: 'delivered', limit: 1 });
    expect(delivered.runs.map((r) => r.runId)).toEqual([ids[4]]);
    expect(delivered.more).toBe(true);
    const delivered2 = await h.store.listRecent({ stage: 'delivered', offset: 1, limit: 1 });
    expect(delivered2.runs.map((r) => r.runId)).toEqual([ids[1]]);
    expect(delivered2.more).toBe(false);

    const odd = await h.store.listRecent({ campaignId: 'odd' });
    expect(odd.runs.map((r) => r.runId)).toEqual([ids[5], ids[3], ids[1]]);
    expect(odd.runs.every((r) => r.campaignId === 'odd')).toBe(true);
    const oddReceived = await h.store.listRecent({ campaignId: 'odd', stage: 'received' });
    expect(oddReceived.runs.map((r) => r.runId)).toEqual([ids[3]]);
    expect(await h.store.listRecent({ campaignId: 'nobody' })).toMatchObject({
      runs: [],
      more: false,
    });
  });

  it('skips runs whose record expired', async () => {
    const a = await h.intake(finishOf('camp-a', 0));
    const b = await h.intake(finishOf('camp-b', 1));
    await h.fx.redis.del(h.store.keys.run(a.runId));
    expect((await h.store.listRecent()).runs.map((r) => r.runId)).toEqual([b.runId]);
    expect((await h.store.listRecent({ stage: 'received' })).runs.map((r) => r.runId)).toEqual([
      b.runId,
    ]);
  });

  it('reads a page in one Redis command', async () => {
    for (let i = 0; i < 30; i++) await h.intake(finishOf(`camp-${i % 4}`, i));
    // a store on its own connection, every command it sends recorded
    const redis = new Redis(h.fx.redisUrl);
    const { sent } = recordCommands(redis);
    try {
      const store = runStoreFor({ ...h.fx, redis });
      await store.listRecent({ limit: 25 }); // loads the script (EVALSHA, NOSCRIPT, EVAL) at most once
      sent.length = 0;
      const page = await store.listRecent({ limit: 25 });
      const filtered = await store.listRecent({
        limit: 25,
        stage: 'received',
        campaignId: 'camp-1',
      });
      expect(page.runs).toHaveLength(25);
      expect(page.more).toBe(true);
      expect(filtered.runs).toHaveLength(8);
      expect(sent).toEqual(['evalsha', 'evalsha']);
    } finally {
      redis.disconnect();
    }
  });
});

describe('the delivered report kept with the run', () => {
  it('is stored with the stage in one round trip, its headline on the run', async () => {
    const { runId } = await h.intake(finishOf('camp-r', 0));
    const report = reportFor(runId, 'camp-r');
    expect(await h.store.getWithReport(runId)).toMatchObject({ report: undefined });
    await h.store.setStage(
      runId,
      'delivered',
      { reportId: report.reportId, revision: 1 },
      { report },
    );
    const { run, report: copy } = await h.store.getWithReport(runId);
    expect(run?.stage).toBe('delivered');
    expect(copy).toEqual({ report, omitted: [] });
    expect(run?.summary).toEqual({
      campaignName: 'Spring <renewals>',
      attempted: 100,
      connected: 40,
      abandoned: 2,
      connectRate: 0.4,
      abandonRate: 0.05,
      avgHandleSeconds: 100,
      dataComplete: true,
      expectedCount: 100,
      observedCount: 100,
      revision: 1,
      final: false,
    });
    const ttl = await h.fx.redis.ttl(h.store.keys.reportCopy(runId));
    expect(ttl).toBeGreaterThan(719 * 3600);

    // the final revision replaces it (the run stays delivered)
    const final = reportFor(runId, 'camp-r', { revision: 2, final: true });
    expect(await h.store.annotateReported(runId, { revision: 2 }, { report: final })).toBe(true);
    const after = await h.store.getWithReport(runId);
    expect(after.report?.report.revision).toBe(2);
    expect(after.run?.summary).toMatchObject({ revision: 2, final: true });
    expect(after.run?.stage).toBe('delivered');
  });

  it('is bounded: a report too large loses its hourly series first, and says so', async () => {
    const { runId } = await h.intake(finishOf('camp-big', 0));
    const hourly = Array.from({ length: 2000 }, (_, i) => ({
      hour: new Date(Date.parse('2024-01-01T00:00:00.000Z') + i * 3_600_000).toISOString(),
      attempted: 1000 + i,
      connected: 500,
      abandoned: 10,
    }));
    const report = reportFor(runId, 'camp-big', { hourly });
    await h.store.setStage(runId, 'incomplete', {}, { report });
    const raw = await h.fx.redis.get(h.store.keys.reportCopy(runId));
    expect(Buffer.byteLength(raw ?? '')).toBeLessThanOrEqual(MAX_REPORT_COPY_BYTES);
    const { report: copy } = await h.store.getWithReport(runId);
    expect(copy?.omitted).toEqual(['hourly']);
    expect(copy?.report.hourly).toBeUndefined();
    expect(copy?.report.metrics).toEqual(report.metrics);
  });

  it('a broken copy or summary reads as none, never losing the run', async () => {
    const { runId } = await h.intake(finishOf('camp-x', 0));
    await h.fx.redis.set(h.store.keys.reportCopy(runId), '{not json');
    await h.fx.redis.hset(h.store.keys.run(runId), 'summary', '{"attempted":"many"}');
    const { run, report } = await h.store.getWithReport(runId);
    expect(report).toBeUndefined();
    expect(run?.runId).toBe(runId);
    expect(run?.summary).toBeUndefined();
  });
});
