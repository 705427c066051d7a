import { Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { ANALYTICS_QUEUE, runIdFor } from '@wrapup/shared';
import { waitFor } from '@wrapup/shared/testing';
import { RunStore, replayJobId, type IntakeInput } from './index';
import { HOUR, duplicateOf, finishInput, useIntakeHarness } from './testing/intake';

const h = useIntakeHarness('intake-guards');

const finish = finishInput;
const at = (iso: string, over: Partial<IntakeInput> = {}) =>
  finish({ eventId: `evt-${iso}`, occurredAt: iso, ...over });
const { intake, removeJob } = h;

/** Lets a BullMQ worker fail the job for good without telling the run (the stall-limit case). */
async function failForGood(jobId: string) {
  const worker = new Worker(ANALYTICS_QUEUE, () => Promise.reject(new Error('genesys said no')), {
    connection: { url: h.fx.redisUrl, maxRetriesPerRequest: null },
    prefix: h.fx.prefix,
  });
  try {
    await waitFor(async () => (await h.queue.getJobState(jobId)) === 'failed', {
      timeoutMs: 10_000,
      what: `job ${jobId} to fail`,
    });
  } finally {
    await worker.close();
  }
}

describe('RunStore.intake: orphaned in-flight runs (issue 13 item 9)', () => {
  it('a finish never joins a run whose job is gone: the orphan fails and the finish starts a run', async () => {
    const first = await intake(finish());
    await h.store.setStage(first.runId, 'waiting_for_analytics');
    await removeJob(first.runId);

    const next = await intake(at('2024-05-01T10:00:03.000Z'));
    expect(next).toMatchObject({
      outcome: 'new',
      runId: runIdFor('camp-1', '2024-05-01T10:00:03.000Z'),
    });
    expect(await h.store.get(first.runId)).toMatchObject({
      stage: 'failed',
      outcome: 'orphaned: its job is gone',
      lastError: 'orphaned: its job is gone',
    });
    expect(await h.fx.redis.get(h.store.keys.active('camp-1'))).toBe(next.runId);
    // a copy between the two is the new run's, not the orphan's "already reported"
    const copy = await intake(at('2024-05-01T10:00:02.000Z'));
    expect(copy).toMatchObject(duplicateOf('joined-in-flight', next.runId));
  });

  it('the same finish re-enqueues the orphan (no run of its own is possible under its id)', async () => {
    const first = await intake(finish());
    await h.store.setStage(first.runId, 'waiting_for_analytics');
    await removeJob(first.runId);
    // another sender's copy with the very same finish time
    const copy = await intake(finish({ eventId: 'evt-eb' }));
    expect(copy).toMatchObject(
      duplicateOf('joined-in-flight', first.runId, { needsEnqueue: true }),
    );
    expect(await h.store.get(first.runId)).toMatchObject({ stage: 'received', enqueued: false });
    // once its job is back, it is joined as usual
    await h.queue.add('run', {}, { jobId: first.runId });
    expect(await intake(at('2024-05-01T10:00:03.000Z'))).toMatchObject({
      outcome: 'duplicate',
      runId: first.runId,
      needsEnqueue: false,
    });
  });

  it('a run whose job failed for good is marked failed, not joined; its own event stays a duplicate', async () => {
    const first = await intake(finish());
    await h.store.setStage(first.runId, 'validating');
    await failForGood(first.runId);

    const next = await intake(at('2024-05-01T10:00:03.000Z'));
    expect(next.outcome).toBe('new');
    expect(await h.store.get(first.runId)).toMatchObject({
      stage: 'failed',
      outcome: 'orphaned: its job failed',
      lastError: 'orphaned: its job failed (genesys said no)',
    });
    expect(await intake(finish())).toMatchObject(
      duplicateOf('same-event', first.runId, { needsEnqueue: false }),
    );

    // the same event while the failed job's run is still in flight: it really failed, no re-enqueue
    const other = await intake(finish({ campaignId: 'camp-2' }));
    await failForGood(other.runId);
    expect(await intake(finish({ campaignId: 'camp-2' }))).toMatchObject({ needsEnqueue: false });
    expect(await h.store.get(other.runId)).toMatchObject({
      stage: 'failed',
      outcome: 'orphaned: its job failed',
    });
  });

  it('checks a replayed run against its replay job, not the first one', async () => {
    const first = await intake(finish());
    await h.store.setStage(first.runId, 'delivered');
    expect(await h.store.markReplay(first.runId)).toBe(1);
    await h.queue.add('run', {}, { jobId: replayJobId(first.runId, 1) });
    // a late copy of the same finish (a second earlier) joins the replayed run
    const late = await intake(at('2024-05-01T09:59:59.000Z'));
    expect(late).toMatchObject(duplicateOf('joined-in-flight', first.runId));

    // the replay job cleaned while the first job is still kept: orphaned
    await removeJob(replayJobId(first.runId, 1));
    expect(await h.queue.getJob(first.runId)).toBeDefined();
    const later = await intake(at('2024-05-01T09:59:58.000Z'));
    expect(later.outcome).toBe('new');
    expect(await h.store.get(first.runId)).toMatchObject({
      stage: 'failed',
      outcome: 'orphaned: its job is gone',
    });
  });

  it('never joins an in-flight run created more than maxJoinAgeSeconds before the receipt', async () => {
    const first = await intake(finish());
    const soon = await intake(at('2024-05-01T10:00:02.000Z', { now: '2024-05-01T15:00:00.000Z' }));
    expect(soon).toMatchObject(duplicateOf('joined-in-flight', first.runId));

    const late = await intake(at('2024-05-01T10:00:03.000Z', { now: '2024-05-01T16:00:02.000Z' }));
    expect(late).toMatchObject({
      outcome: 'new',
      runId: runIdFor('camp-1', '2024-05-01T10:00:03.000Z'),
    });
    // the old run is left alone (its job may still finish it)
    expect(await h.store.get(first.runId)).toMatchObject({ stage: 'received' });

    const strict = new RunStore(h.fx.redis, {
      prefix: h.fx.prefix,
      dedupeTtlSeconds: HOUR,
      retentionSeconds: HOUR,
      startTtlSeconds: HOUR,
      maxJoinAgeSeconds: 60,
    });
    const c = await strict.intake(finish({ campaignId: 'camp-s' }));
    await h.queue.add('run', {}, { jobId: c.runId });
    const copy = finish({
      campaignId: 'camp-s',
      eventId: 'e-2',
      occurredAt: '2024-05-01T10:00:02.000Z',
    });
    expect(await strict.intake({ ...copy, now: '2024-05-01T10:02:00.000Z' })).toMatchObject({
      outcome: 'new',
    });
  });
});

describe('RunStore.intake: event ids are scoped to the campaign (issue 13 item 10)', () => {
  it('the same webhook-id for two campaigns gives two runs, each answering its own duplicates', async () => {
    const a = await intake(finish({ eventId: 'msg_reused' }));
    const b = await intake(finish({ eventId: 'msg_reused', campaignId: 'camp-2' }));
    expect(a).toMatchObject({
      outcome: 'new',
      runId: runIdFor('camp-1', '2024-05-01T10:00:00.000Z'),
    });
    expect(b).toMatchObject({
      outcome: 'new',
      runId: runIdFor('camp-2', '2024-05-01T10:00:00.000Z'),
    });
    expect(await intake(finish({ eventId: 'msg_reused', campaignId: 'camp-2' }))).toMatchObject(
      duplicateOf('same-event', b.runId),
    );
    // the re-enqueue path rebuilds the job of its own campaign's run
    await removeJob(b.runId);
    expect(await intake(finish({ eventId: 'msg_reused', campaignId: 'camp-2' }))).toMatchObject({
      runId: b.runId,
      needsEnqueue: true,
    });
    expect(h.store.keys.event('a:b', 'c')).not.toBe(h.store.keys.event('a', 'b:c'));
  });
});

describe('RunStore: times far in the future are not trusted (issue 13 item 6, Redis side)', () => {
  it('a finish dated 2099 does not make real finishes of the campaign duplicates', async () => {
    const bogus = await intake(at('2099-01-01T00:00:00.000Z'));
    expect(bogus.outcome).toBe('new');
    const real = await intake(finish());
    expect(real).toMatchObject({
      outcome: 'new',
      runId: runIdFor('camp-1', '2024-05-01T10:00:00.000Z'),
    });
    // nor was 2099 remembered as the last completion (it would be every later run's start)
    expect((await h.store.campaignState('camp-1')).completedAt).toBe('2024-05-01T10:00:00.000Z');
  });

  it('an `on` dated 9999 neither hides real starts nor is remembered', async () => {
    await h.store.rememberStart('camp-1', '9999-01-01T00:00:00.000Z');
    await h.store.recordStatus('camp-1', 'stopped', '2024-05-01T07:00:00.000Z');
    await h.store.rememberStart('camp-1', '2024-05-01T08:00:00.000Z');
    expect(await h.store.campaignState('camp-1')).toMatchObject({
      firstOn: '2024-05-01T08:00:00.000Z',
      lastOn: '2024-05-01T08:00:00.000Z',
    });
    expect(await intake(finish())).toMatchObject({
      outcome: 'new',
      startedAt: '2024-05-01T08:00:00.000Z',
    });

    // bogus times already remembered (by an older version) are ignored and replaced
    await h.fx.redis.hset(h.store.keys.state('camp-2'), {
      firstOn: '9999-01-01T00:00:00.000Z',
      lastOn: '9999-01-01T00:00:00.000Z',
      completedAt: '2099-01-01T00:00:00.000Z',
    });
    expect(await h.store.campaignState('camp-2')).toEqual({});
    await h.store.rememberStart('camp-2', '2024-05-01T08:00:00.000Z');
    expect(await h.store.campaignState('camp-2')).toMatchObject({
      firstOn: '2024-05-01T08:00:00.000Z',
      lastOn: '2024-05-01T08:00:00.000Z',
    });
    expect(await intake(finish({ campaignId: 'camp-2', eventId: 'e-2' }))).toMatchObject({
      startedAt: '2024-05-01T08:00:00.000Z',
    });
  });
});
