import { describe, expect, it } from 'vitest';
import { runIdFor } from '@wrapup/shared';
import { RunStore } from './index';
import { HOUR, duplicateOf, finishAt, finishInput, useIntakeHarness } from './testing/intake';

const h = useIntakeHarness('runs');

const finish = finishInput;
const { intake, removeJob } = h;

describe('RunStore.intake', () => {
  it('creates exactly one run for 200 concurrent deliveries of one event', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => intake(finish())));
    const fresh = results.filter((r) => r.outcome === 'new');
    expect(fresh).toHaveLength(1);
    const runId = runIdFor('camp-1', '2024-05-01T10:00:00.000Z');
    expect(new Set(results.map((r) => r.runId))).toEqual(new Set([runId]));
    for (const r of results) {
      if (r.outcome === 'duplicate') expect(r.reason).toBe('same-event');
    }
    const run = await h.store.get(runId);
    expect(run).toMatchObject({
      runId,
      campaignId: 'camp-1',
      status: 'completed',
      stage: 'received',
      eventIds: ['evt-1'],
    });
    expect(run?.stages.received).toBe('2024-05-01T10:00:01.000Z');
    expect(await h.store.listForCampaign('camp-1')).toHaveLength(1);
  });

  it('joins a second finish of a campaign whose run is in flight', async () => {
    const first = await intake(finish());
    const second = await intake(finishAt('evt-2', '2024-05-01T10:00:03.000Z'));
    expect(second).toMatchObject(duplicateOf('joined-in-flight', first.runId));
    expect((await h.store.get(first.runId))?.eventIds).toEqual(['evt-1', 'evt-2']);
    const again = await intake(finishAt('evt-2', '2024-05-01T10:00:03.000Z'));
    expect(again).toMatchObject(duplicateOf('same-event', first.runId));
  });

  it('after delivery: the same event is still a duplicate, another copy is already reported, a later finish is a new run', async () => {
    const first = await intake(finish());
    await h.store.setStage(first.runId, 'delivered', {
      reportId: 'rpt-x',
      observedCount: 3,
      expectedCount: null,
    });
    expect(await h.fx.redis.exists(h.store.keys.active('camp-1'))).toBe(0);

    expect(await intake(finish())).toMatchObject(
      duplicateOf('same-event', first.runId, { needsEnqueue: false }),
    );
    const copy = await intake(finishAt('evt-eb', '2024-05-01T10:00:02.000Z'));
    expect(copy).toMatchObject(duplicateOf('already-reported', first.runId));
    const older = await intake(finishAt('evt-old', '2024-04-30T10:00:00.000Z'));
    expect(older).toMatchObject({ outcome: 'duplicate', reason: 'already-reported' });

    const later = await intake(
      finish({
        eventId: 'evt-3',
        occurredAt: '2024-05-02T09:00:00.000Z',
        now: '2024-05-02T09:00:01.000Z',
      }),
    );
    expect(later.outcome).toBe('new');
    expect(later.runId).toBe(runIdFor('camp-1', '2024-05-02T09:00:00.000Z'));
    const runs = await h.store.listForCampaign('camp-1');
    expect(runs.map((r) => r.runId)).toEqual([later.runId, first.runId]);
    expect(runs[1]).toMatchObject({
      stage: 'delivered',
      reportId: 'rpt-x',
      observedCount: 3,
      expectedCount: null,
    });
  });

  it('starts a new run when the in-flight run is already delivering an earlier finish', async () => {
    const first = await intake(finish());
    await h.store.setStage(first.runId, 'delivering');
    const later = await intake(finishAt('evt-9', '2024-05-01T12:00:00.000Z'));
    expect(later.outcome).toBe('new');
    // the earlier run finishing does not release the newer run's slot
    await h.store.setStage(first.runId, 'delivered');
    expect(await h.fx.redis.get(h.store.keys.active('camp-1'))).toBe(later.runId);
    const joined = await intake(finishAt('evt-10', '2024-05-01T12:00:05.000Z'));
    expect(joined).toMatchObject(duplicateOf('joined-in-flight', later.runId));
  });

  it('asks for a re-enqueue while the job is missing, at any stage before a final one', async () => {
    // a run recorded without its job (an ingest that crashed between the two round trips)
    const bare = await h.store.intake(finish());
    expect(await h.store.intake(finish())).toMatchObject({ needsEnqueue: true });
    await h.queue.add('run', {}, { jobId: bare.runId });
    expect(await h.store.intake(finish())).toMatchObject({ needsEnqueue: false });

    const third = await intake(finish({ eventId: 'e-c', campaignId: 'camp-3' }));
    await h.store.setStage(third.runId, 'validating');
    expect(await intake(finish({ eventId: 'e-c', campaignId: 'camp-3' }))).toMatchObject({
      needsEnqueue: false,
    });
    // the job cleaned in the dashboard while the run validates: the same event adds it again
    await removeJob(third.runId);
    expect(await intake(finish({ eventId: 'e-c', campaignId: 'camp-3' }))).toMatchObject(
      duplicateOf('same-event', third.runId, { needsEnqueue: true }),
    );
    expect(await h.store.get(third.runId)).toMatchObject({ stage: 'received', enqueued: false });
  });

  it('returns the remembered first start only when it precedes the finish', async () => {
    await h.store.rememberStart('camp-1', '2024-05-01T08:00:00Z');
    await h.store.recordStatus('camp-1', 'stopped', '2024-05-01T08:30:00Z');
    await h.store.rememberStart('camp-1', '2024-05-01T09:00:00.000Z'); // a resume keeps the run's first start
    expect(await h.store.getStart('camp-1')).toBe('2024-05-01T08:00:00.000Z');
    expect((await h.store.campaignState('camp-1')).lastOn).toBe('2024-05-01T09:00:00.000Z');
    const r = await intake(finish());
    expect(r).toMatchObject({ outcome: 'new', startedAt: '2024-05-01T08:00:00.000Z' });
    expect(r.outcome === 'new' && (await h.store.get(r.runId))?.startedAt).toBe(
      '2024-05-01T08:00:00.000Z',
    );
    // the completed run consumed it: the next `on` starts a new run from the first record
    expect(await h.store.getStart('camp-1')).toBeUndefined();

    await h.store.rememberStart('camp-4', '2024-05-01T11:00:00.000Z');
    const late = await intake(finish({ eventId: 'e-4', campaignId: 'camp-4' }));
    expect(late.outcome === 'new' && late.startedAt).toBeUndefined();
  });

  it('uses no remembered start older than START_TTL_HOURS before the finish', async () => {
    await h.store.rememberStart('camp-old', '2024-04-20T08:00:00Z'); // 11 days before, the TTL is 72 h
    const r = await intake(finish({ eventId: 'e-old', campaignId: 'camp-old' }));
    expect(r).toMatchObject({ outcome: 'new' });
    expect(r.outcome === 'new' && r.startedAt).toBeUndefined();
  });

  it('sets TTLs and writes every key under the prefix', async () => {
    await h.store.rememberStart('camp-ttl', '2024-05-01T08:00:00.000Z');
    const r = await h.store.intake(
      finish({
        eventId: 'evt-ttl',
        campaignId: 'camp-ttl',
        durationSeconds: 60,
        contactCount: 5,
        shape: 'guide',
      }),
    );
    const ttl = (key: string) => h.fx.redis.ttl(key);
    expect(await ttl(h.store.keys.event('camp-ttl', 'evt-ttl'))).toBeGreaterThan(168 * HOUR - 10);
    expect(await ttl(h.store.keys.event('camp-ttl', 'evt-ttl'))).toBeLessThanOrEqual(168 * HOUR);
    expect(await ttl(h.store.keys.run(r.runId))).toBeGreaterThan(720 * HOUR - 10);
    expect(await ttl(h.store.keys.campaign('camp-ttl'))).toBeGreaterThan(720 * HOUR - 10);
    expect(await ttl(h.store.keys.active('camp-ttl'))).toBeGreaterThan(0);
    expect(await ttl(h.store.keys.state('camp-ttl'))).toBeGreaterThan(720 * HOUR - 10);
    expect(await ttl(h.store.keys.state('camp-ttl'))).toBeLessThanOrEqual(720 * HOUR);
    expect(await h.store.get(r.runId)).toMatchObject({
      durationSeconds: 60,
      contactCount: 5,
      shape: 'guide',
    });

    const keys: string[] = [];
    for (const pattern of ['*camp-ttl*', `*${r.runId}*`, '*evt-ttl*']) {
      let cursor = '0';
      do {
        const [next, batch] = await h.fx.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
    }
    expect(keys.length).toBeGreaterThanOrEqual(5);
    for (const key of keys) expect(key.startsWith(`${h.fx.prefix}:runs:`)).toBe(true);
  });
});

describe('RunStore.intake: status transitions of campaign copies', () => {
  const copy = (over: Partial<Parameters<typeof finish>[0]> = {}) =>
    finish({ shape: 'notification', transitionsOnly: true, ...over });

  it('starts nothing when an edit re-sends a finished campaign (no transition), or for an older version', async () => {
    await h.store.recordStatus('camp-1', 'on', '2024-05-01T08:00:00Z', {
      version: 4,
      transitionsOnly: true,
    });
    const first = await intake(copy({ campaignVersion: 5 }));
    expect(first.outcome).toBe('new');
    await h.store.setStage(first.runId, 'delivered');
    // renamed a week later: Genesys re-sends the whole campaign, still `complete`, version 6
    const edit = await intake(
      copy({
        eventId: 'evt-edit',
        campaignVersion: 6,
        occurredAt: '2024-05-08T10:00:00.000Z',
        now: '2024-05-08T10:00:01.000Z',
      }),
    );
    expect(edit).toMatchObject({ outcome: 'ignored', reason: 'no-transition' });
    expect(await h.store.listForCampaign('camp-1')).toHaveLength(1);
    // a late redelivery of the `on` copy (version 4) changes nothing either
    expect(
      await h.store.recordStatus('camp-1', 'on', '2024-05-01T08:00:00Z', {
        version: 4,
        transitionsOnly: true,
      }),
    ).toBe('stale');
    expect((await h.store.campaignState('camp-1')).status).toBe('completed');
    // turned on again (version 7), then complete (version 9): a new run from the new first start
    expect(
      await h.store.recordStatus('camp-1', 'on', '2024-05-09T08:00:00Z', {
        version: 7,
        transitionsOnly: true,
      }),
    ).toBe('recorded');
    const next = await intake(
      copy({
        eventId: 'evt-next',
        campaignVersion: 9,
        occurredAt: '2024-05-09T12:00:00.000Z',
        now: '2024-05-09T12:00:01.000Z',
      }),
    );
    expect(next).toMatchObject({ outcome: 'new', startedAt: '2024-05-09T08:00:00.000Z' });
  });

  it('a copy of the same finish from another sender still answers duplicate (not ignored)', async () => {
    const first = await intake(finish());
    const eventBridge = await intake(
      copy({ eventId: 'evt-eb', occurredAt: '2024-05-01T10:00:01.000Z', shape: 'eventbridge' }),
    );
    expect(eventBridge).toMatchObject(duplicateOf('joined-in-flight', first.runId));
    await h.store.setStage(first.runId, 'delivered');
    const late = await intake(copy({ eventId: 'evt-n', occurredAt: '2024-05-01T10:00:02.000Z' }));
    expect(late).toMatchObject(duplicateOf('already-reported', first.runId));
  });

  it('ignores a copy older than the last version seen', async () => {
    await h.store.recordStatus('camp-1', 'on', '2024-05-01T11:00:00Z', {
      version: 12,
      transitionsOnly: true,
    });
    expect(await intake(copy({ campaignVersion: 11 }))).toMatchObject({
      outcome: 'ignored',
      reason: 'stale-copy',
    });
  });

  it('the guide shape (an explicit finish event, no copy) is not held to transitions', async () => {
    const first = await intake(finish());
    await h.store.setStage(first.runId, 'delivered');
    const later = await intake(finishAt('evt-g2', '2024-05-02T10:00:00.000Z'));
    expect(later.outcome).toBe('new');
  });

  it('gives a completed finish its own run while an earlier stopped run still waits', async () => {
    await h.store.rememberStart('camp-1', '2024-05-01T08:00:00Z');
    const stopped = await intake(
      copy({ eventId: 'evt-stop', status: 'stopped', occurredAt: '2024-05-01T09:00:00.000Z' }),
    );
    expect(stopped).toMatchObject({ outcome: 'new', startedAt: '2024-05-01T08:00:00.000Z' });
    await h.store.setStage(stopped.runId, 'waiting_for_analytics');
    await h.store.recordStatus('camp-1', 'on', '2024-05-01T09:10:00Z', { transitionsOnly: true });
    const completed = await intake(
      copy({ eventId: 'evt-done', occurredAt: '2024-05-01T10:00:00.000Z' }),
    );
    // the whole run, from its first start (across the pause)
    expect(completed).toMatchObject({ outcome: 'new', startedAt: '2024-05-01T08:00:00.000Z' });
    expect(completed.runId).not.toBe(stopped.runId);
    expect((await h.store.listForCampaign('camp-1')).map((r) => r.status)).toEqual([
      'completed',
      'stopped',
    ]);
  });

  it('joins an in-flight run only for the same status close in time', async () => {
    const first = await intake(finish({ status: 'stopped' }));
    await h.store.setStage(first.runId, 'waiting_for_analytics');
    // a completed 2 s later is a different finish (no copy shape: guide events are explicit)
    const other = await intake(finishAt('e-c', '2024-05-01T10:00:02.000Z'));
    expect(other.outcome).toBe('new');
    // the same stop seen again a second apart (another sender) joins
    const same = await intake(
      finish({ eventId: 'e-s', status: 'stopped', occurredAt: '2024-05-01T10:00:01.000Z' }),
    );
    expect(same).toMatchObject({ outcome: 'duplicate', runId: first.runId });
    // a stop ten minutes later while the first still waits is its own run
    const later = await intake(
      finish({ eventId: 'e-l', status: 'stopped', occurredAt: '2024-05-01T10:10:00.000Z' }),
    );
    expect(later.outcome).toBe('new');
  });
});

describe('RunStore stages and replays', () => {
  it('records stage times and patches, and counts replays', async () => {
    let clock = Date.parse('2024-05-01T10:05:00.000Z');
    const timed = new RunStore(h.fx.redis, {
      prefix: h.fx.prefix,
      dedupeTtlSeconds: HOUR,
      retentionSeconds: HOUR,
      startTtlSeconds: HOUR,
      now: () => clock,
    });
    const { runId } = await timed.intake(finish());
    await timed.setStage(runId, 'waiting_for_analytics', { expectedCount: 10, observedCount: 4 });
    clock += 60_000;
    await timed.setStage(runId, 'incomplete', {
      outcome: 'analytics incomplete',
      lastError: 'x'.repeat(5000),
    });
    const run = await timed.get(runId);
    expect(run).toMatchObject({
      stage: 'incomplete',
      expectedCount: 10,
      observedCount: 4,
      outcome: 'analytics incomplete',
      enqueued: true,
      stages: {
        received: '2024-05-01T10:00:01.000Z',
        waiting_for_analytics: '2024-05-01T10:05:00.000Z',
        incomplete: '2024-05-01T10:06:00.000Z',
      },
    });
    expect(run?.lastError).toHaveLength(2000);
    expect(await timed.markReplay(runId)).toBe(1);
    expect(await timed.markReplay(runId)).toBe(2);
    expect((await timed.get(runId))?.replays).toBe(2);
    expect(await timed.markReplay('run-missing')).toBeUndefined();
    await timed.setStage('run-missing', 'delivered');
    expect(await h.fx.redis.exists(timed.keys.run('run-missing'))).toBe(0);
    expect(await timed.get('run-missing')).toBeUndefined();
    expect(await timed.listForCampaign('nobody')).toEqual([]);
  });

  it('keeps a final run final against late non-final updates until a replay reopens it', async () => {
    const { runId } = await intake(finish());
    await h.store.setStage(runId, 'delivering', { reportId: 'rpt-1' });
    await h.store.setStage(runId, 'delivered', { outcome: 'delivered' });
    // a slow step (or a stalled job re-run elsewhere) reporting an earlier stage afterwards
    await h.store.setStage(runId, 'delivering', { lastError: 'late' });
    expect(await h.store.get(runId)).toMatchObject({ stage: 'delivered', outcome: 'delivered' });
    expect((await h.store.get(runId))?.lastError).toBeUndefined();

    await h.store.setStage(runId, 'failed', { lastError: 'stale job' });
    expect((await h.store.get(runId))?.stage).toBe('delivered');

    expect(await h.store.markReplay(runId)).toBe(1);
    expect((await h.store.get(runId))?.stage).toBe('received');
    await h.store.setStage(runId, 'validating');
    expect((await h.store.get(runId))?.stage).toBe('validating');
    // failed is final, but a hand-retried job that then delivers may still replace it
    await h.store.setStage(runId, 'failed', { lastError: 'warehouse down' });
    await h.store.setStage(runId, 'delivering');
    expect((await h.store.get(runId))?.stage).toBe('failed');
    await h.store.setStage(runId, 'delivered');
    expect((await h.store.get(runId))?.stage).toBe('delivered');
  });
});
