import { Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANALYTICS_QUEUE, analyticsJobOptions, runIdFor } from '@wrapup/shared';
import { createRedisFixture, waitFor, type RedisFixture } from '@wrapup/shared/testing';
import { RunStore, checkPrepareAdd, prepareAdd, type IntakeInput } from './index';
import { finishInput, runStoreFor } from './testing/intake';

const opts = analyticsJobOptions as JobsOptions;
const fixtures: RedisFixture[] = [];
let fx: RedisFixture;
let queue: Queue;
let store: RunStore;

async function setup(label: string) {
  const f = await createRedisFixture(label);
  fixtures.push(f);
  const q = new Queue(ANALYTICS_QUEUE, { connection: f.redis, prefix: f.prefix });
  await q.waitUntilReady();
  const s = runStoreFor(f);
  return { f, q, s };
}

beforeEach(async () => {
  ({ f: fx, q: queue, s: store } = await setup('intake-enqueue'));
});
afterEach(async () => {
  await queue.close();
  for (const f of fixtures.splice(0)) await f.cleanup();
});

const finish = (over: Partial<IntakeInput> = {}): IntakeInput =>
  finishInput({ durationSeconds: 3600, ...over });

/** The analytics job data the ingest builds for an input (without startedAt). */
const dataFor = (i: IntakeInput) => ({
  runId: runIdFor(i.campaignId, i.occurredAt),
  campaignId: i.campaignId,
  status: i.status,
  occurredAt: i.occurredAt,
  ...(i.durationSeconds !== undefined ? { durationSeconds: i.durationSeconds } : {}),
  eventId: i.eventId,
  shape: 'guide',
  receivedAt: i.now,
});

const intakeWithJob = (s: RunStore, q: Queue, i: IntakeInput) => {
  const data = dataFor(i);
  return s.intake(i, prepareAdd(q, 'run', data, { ...opts, jobId: data.runId }));
};

describe('RunStore.intake with the analytics job (one round trip)', () => {
  it('writes exactly the job queue.add writes: same hash, same list, same events', async () => {
    const other = await setup('intake-enqueue-ref');
    const i = finish();
    const runId = runIdFor(i.campaignId, i.occurredAt);
    const result = await intakeWithJob(store, queue, i);
    expect(result).toEqual({ outcome: 'new', runId, jobId: runId });
    await other.q.add('run', dataFor(i), { ...opts, jobId: runId });

    const jobKey = (prefix: string) => `${prefix}:${ANALYTICS_QUEUE}:${runId}`;
    const mine = await fx.redis.hgetall(jobKey(fx.prefix));
    const ref = await other.f.redis.hgetall(jobKey(other.f.prefix));
    expect(Object.keys(mine).sort()).toEqual(Object.keys(ref).sort());
    expect({ ...mine, timestamp: 'x' }).toEqual({ ...ref, timestamp: 'x' });
    expect(Number(mine.timestamp)).toBeGreaterThan(Date.now() - 60_000);

    expect(await queue.getWaiting()).toHaveLength(1);
    expect((await queue.getJob(runId))?.data).toEqual(dataFor(i));
    const events = (f: RedisFixture) =>
      f.redis.xrange(`${f.prefix}:${ANALYTICS_QUEUE}:events`, '-', '+');
    const names = (entries: [string, string[]][]) =>
      entries.map(([, fields]) => fields.filter((_, n) => n % 2 === 1).join(' '));
    expect(names(await events(fx))).toEqual(names(await events(other.f)));
    expect(names(await events(fx))).toContain(`waiting ${runId}`);
    await other.q.close();
  });

  it('adds nothing for a duplicate or a join, and the run record and job arrive together', async () => {
    const first = await intakeWithJob(store, queue, finish());
    expect(first.outcome).toBe('new');
    // the same event again, and 50 more copies at once
    const again = await Promise.all(
      Array.from({ length: 50 }, () => intakeWithJob(store, queue, finish())),
    );
    expect(
      again.every((r) => r.outcome === 'duplicate' && r.reason === 'same-event' && !r.needsEnqueue),
    ).toBe(true);
    // another finish of the campaign while the run is in flight joins it: no job of its own
    const join = await intakeWithJob(
      store,
      queue,
      finish({ eventId: 'evt-2', occurredAt: '2024-05-01T10:00:03.000Z' }),
    );
    expect(join).toMatchObject({
      outcome: 'duplicate',
      reason: 'joined-in-flight',
      runId: first.runId,
      needsEnqueue: false,
    });
    expect(await queue.count()).toBe(1);
    expect(
      await fx.redis.exists(
        `${fx.prefix}:${ANALYTICS_QUEUE}:${runIdFor('camp-1', '2024-05-01T10:00:03.000Z')}`,
      ),
    ).toBe(0);
    expect((await store.get(first.runId))?.eventIds).toEqual(['evt-1', 'evt-2']);
  });

  it('gives the job the remembered start time only when the event has no duration', async () => {
    await store.rememberStart('camp-s', '2024-05-01T08:00:00.000Z');
    const bare = finish({ campaignId: 'camp-s', eventId: 'evt-s' });
    delete bare.durationSeconds;
    const withoutDuration = await intakeWithJob(store, queue, bare);
    expect(withoutDuration).toMatchObject({
      outcome: 'new',
      startedAt: '2024-05-01T08:00:00.000Z',
    });
    const job = await queue.getJob(withoutDuration.runId);
    expect(job?.data).toEqual({ ...dataFor(bare), startedAt: '2024-05-01T08:00:00.000Z' });

    await store.rememberStart('camp-d', '2024-05-01T08:00:00.000Z');
    const timed = await intakeWithJob(
      store,
      queue,
      finish({ campaignId: 'camp-d', eventId: 'evt-d' }),
    );
    const job2 = await queue.getJob(timed.runId);
    expect(job2?.data).toEqual(dataFor(finish({ campaignId: 'camp-d', eventId: 'evt-d' })));
    expect(job2?.data).not.toHaveProperty('startedAt');
  });

  it('a BullMQ worker processes the job the intake script added', async () => {
    const i = finish({ campaignId: 'camp-w', eventId: 'evt-w' });
    const { runId } = await intakeWithJob(store, queue, i);
    const seen: Job[] = [];
    const worker = new Worker(
      ANALYTICS_QUEUE,
      (job) => {
        seen.push(job);
        return Promise.resolve();
      },
      { connection: { url: fx.redisUrl, maxRetriesPerRequest: null }, prefix: fx.prefix },
    );
    try {
      await waitFor(() => seen.length === 1, {
        timeoutMs: 10_000,
        what: 'the worker to take the job',
      });
      expect(seen[0]?.id).toBe(runId);
      expect(seen[0]?.data).toEqual(dataFor(i));
      expect(seen[0]?.opts.attempts).toBe(opts.attempts);
    } finally {
      await worker.close();
    }
  });

  it('refuses a job that is not the run’s, and adds that BullMQ would run with another script', async () => {
    const i = finish();
    const data = dataFor(i);
    const wrong = prepareAdd(queue, 'run', data, { ...opts, jobId: 'someone-else' });
    await expect(store.intake(i, wrong)).rejects.toThrow(/is not the run id/);
    expect(() =>
      prepareAdd(queue, 'run', data, { ...opts, jobId: data.runId, delay: 1_000 }),
    ).toThrow(/only plain adds/);
    expect(() =>
      prepareAdd(queue, 'run', data, { ...opts, jobId: data.runId, priority: 3 }),
    ).toThrow(/only plain adds/);
    expect(() => checkPrepareAdd(queue)).not.toThrow();
    const withStart = prepareAdd(
      queue,
      'run',
      { ...data, durationSeconds: undefined, startedAt: 'x' },
      { ...opts, jobId: data.runId },
    );
    await expect(store.intake({ ...i, durationSeconds: undefined }, withStart)).rejects.toThrow(
      /leave startedAt out/,
    );
    // nothing was written by the refused calls
    expect(await store.get(data.runId)).toBeUndefined();
    expect(await queue.count()).toBe(0);
  });

  it('the start-up check names the problem when BullMQ no longer issues a plain add the way prepareAdd expects', () => {
    const backend = queue.backend;
    const original = backend.addJobToTransaction.bind(backend);
    // a BullMQ that awaits something before sending the add: nothing can be caught synchronously
    backend.addJobToTransaction = async (...args: Parameters<typeof original>) => {
      await Promise.resolve();
      return original(...args);
    };
    try {
      expect(() => checkPrepareAdd(queue)).toThrow(
        'the one-round-trip intake cannot work with the installed bullmq: prepareAdd: bullmq would run nothing, not addStandardJob with 12 arguments (only plain adds are supported)',
      );
    } finally {
      backend.addJobToTransaction = original;
    }
    expect(() => checkPrepareAdd(queue)).not.toThrow();
  });
});
