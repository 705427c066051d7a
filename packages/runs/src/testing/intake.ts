import { Queue } from 'bullmq';
import { afterEach, beforeEach } from 'vitest';
import { ANALYTICS_QUEUE } from '@wrapup/shared';
import { createRedisFixture, type RedisFixture } from '@wrapup/shared/testing';
import { RunStore, type IntakeInput, type IntakeResult } from '../run-store';

/** A finish of camp-1 at 2024-05-01T10:00:00Z received a second later, for the run store's tests. */
export const finishInput = (over: Partial<IntakeInput> = {}): IntakeInput => ({
  eventId: 'evt-1',
  campaignId: 'camp-1',
  status: 'completed',
  occurredAt: '2024-05-01T10:00:00.000Z',
  now: '2024-05-01T10:00:01.000Z',
  ...over,
});

/** `finishInput` of another event at another time. */
export const finishAt = (eventId: string, occurredAt: string, over: Partial<IntakeInput> = {}) =>
  finishInput({ eventId, occurredAt, ...over });

/** What `toMatchObject` expects of an intake that found `runId` (`reason` as the store tells it). */
export const duplicateOf = (reason: string, runId: string, over: object = {}) => ({
  outcome: 'duplicate',
  reason,
  runId,
  ...over,
});

export const HOUR = 3600;

/** A run store on a fixture's Redis with the default TTLs (a week of dedupe, a month of runs, 72h of starts). */
export const runStoreFor = (fx: RedisFixture): RunStore =>
  new RunStore(fx.redis, {
    prefix: fx.prefix,
    dedupeTtlSeconds: 168 * HOUR,
    retentionSeconds: 720 * HOUR,
    startTtlSeconds: 72 * HOUR,
  });

export interface IntakeHarness {
  fx: RedisFixture;
  store: RunStore;
  queue: Queue;
  /** The intake as the ingest makes it: a new run's analytics job is in the queue (a real BullMQ job). */
  intake: (i: IntakeInput) => Promise<IntakeResult>;
  removeJob: (jobId: string) => Promise<void>;
  close: () => Promise<void>;
}

/** A Redis fixture, a run store on it and the analytics queue under its prefix. */
export async function openIntakeHarness(label: string): Promise<IntakeHarness> {
  const fx = await createRedisFixture(label);
  const store = runStoreFor(fx);
  const queue = new Queue(ANALYTICS_QUEUE, { connection: fx.redis, prefix: fx.prefix });
  return {
    fx,
    store,
    queue,
    intake: async (i) => {
      const result = await store.intake(i);
      if (result.outcome === 'new')
        await queue.add('run', { runId: result.runId }, { jobId: result.runId });
      return result;
    },
    removeJob: async (jobId) => {
      const job = await queue.getJob(jobId);
      if (!job) throw new Error(`no job ${jobId}`);
      await job.remove();
    },
    close: async () => {
      await queue.close();
      await fx.cleanup();
    },
  };
}

/**
 * Opens a fresh intake harness before each test and closes it after; the returned object always
 * speaks for the current test's harness.
 */
export function useIntakeHarness(label: string): IntakeHarness {
  let current: IntakeHarness | undefined;
  beforeEach(async () => {
    current = await openIntakeHarness(label);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  const get = (): IntakeHarness => {
    if (!current) throw new Error('the intake harness is only open inside a test');
    return current;
  };
  return {
    get fx() {
      return get().fx;
    },
    get store() {
      return get().store;
    },
    get queue() {
      return get().queue;
    },
    intake: (i) => get().intake(i),
    removeJob: (jobId) => get().removeJob(jobId),
    close: () => get().close(),
  };
}
