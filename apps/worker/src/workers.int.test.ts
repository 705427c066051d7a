import { createServer, type AddressInfo, type Socket } from 'node:net';
import { UnrecoverableError, type Job } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStore } from '@wrapup/runs';
import { createRedisFixture, waitFor, type RedisFixture } from '@wrapup/shared/testing';
import { createNotifier } from './clients/notify/notifier';
import { createWarehouseSink } from './clients/sinks/factory';
import { sampleRun } from './testing/sinks';
import { createLogger } from './logger';
import { enqueueWarehouse } from './queues';
import { startWorkers } from './workers';

const logger = createLogger({ level: 'silent' });

describe('startWorkers', () => {
  let fx: RedisFixture;
  let runs: RunStore;
  beforeEach(async () => {
    fx = await createRedisFixture('workers');
    runs = new RunStore(fx.redis, {
      prefix: fx.prefix,
      dedupeTtlSeconds: 600,
      retentionSeconds: 600,
      startTtlSeconds: 600,
    });
  });
  afterEach(() => fx.cleanup());

  const base = (sinkUrl: string) => ({
    redisUrl: fx.redisUrl,
    prefix: fx.prefix,
    concurrency: 1,
    sink: createWarehouseSink({ url: sinkUrl, table: 'unused', dataDir: '' }, logger, {
      timeoutMs: 60_000,
    }),
    notifier: createNotifier(),
    runs,
    notifyUrls: [],
    logger,
  });

  it('runs an analytics worker only when given a processor', async () => {
    const seen: unknown[] = [];
    const running = await startWorkers({
      ...base('http://127.0.0.1:9/'),
      analyticsProcessor: async (job) => {
        seen.push(job.data);
        return Promise.resolve('ok');
      },
    });
    try {
      expect(running.workers.map((w) => w.name)).toEqual(['analytics', 'warehouse', 'notify']);
      await running.queues.analytics.add('x', { hello: 1 } as never);
      await waitFor(() => seen.length === 1, { what: 'analytics job processed' });
      expect(seen).toEqual([{ hello: 1 }]);
    } finally {
      await running.close();
    }
    const plain = await startWorkers(base('http://127.0.0.1:9/'));
    expect(plain.workers.map((w) => w.name)).toEqual(['warehouse', 'notify']);
    await plain.close();
  });

  it('a job that fails for good fails its run when its processor did not (issue 13 item 9b)', async () => {
    const attemptsSeen = new Map<string, number>();
    const running = await startWorkers({
      ...base('http://127.0.0.1:9/'),
      jobOptions: { analytics: { attempts: 2, backoff: { type: 'fixed', delay: 10 } } },
      // a processor whose own failure handling never runs (as for a job failed by the stall limit)
      analyticsProcessor: async (job: Job<{ runId: string; how: string }>) => {
        attemptsSeen.set(job.data.runId, job.attemptsMade + 1);
        if (job.data.how === 'unrecoverable') throw new UnrecoverableError('stalled too often');
        if (job.data.how === 'after-delivery') {
          await runs.setStage(job.data.runId, 'delivered', { outcome: 'delivered' });
          throw new UnrecoverableError('late');
        }
        throw new Error('genesys down');
      },
    });
    const start = async (campaignId: string, how: string) => {
      const { runId } = await runs.intake({
        eventId: `evt-${how}`,
        campaignId,
        status: 'completed',
        occurredAt: '2024-05-01T10:00:00.000Z',
        now: new Date().toISOString(),
      });
      await running.queues.analytics.add('run', { runId, how } as never, { jobId: runId });
      return runId;
    };
    const settled = (runId: string) =>
      waitFor(async () => (await running.queues.analytics.getJobState(runId)) === 'failed', {
        what: `job ${runId} to fail for good`,
      });
    try {
      const retried = await start('camp-retried', 'retried');
      const unrecoverable = await start('camp-unrecoverable', 'unrecoverable');
      const delivered = await start('camp-delivered', 'after-delivery');
      await Promise.all([retried, unrecoverable, delivered].map(settled));
      const finalStage = (runId: string) =>
        waitFor(
          async () => {
            const run = await runs.get(runId);
            return run?.stage === 'failed' || run?.stage === 'delivered' ? run : undefined;
          },
          { what: `run ${runId} to be final` },
        );

      expect(attemptsSeen.get(retried)).toBe(2);
      expect(await finalStage(retried)).toMatchObject({
        stage: 'failed',
        outcome: 'analytics job failed',
        lastError: 'genesys down',
      });
      expect(await finalStage(unrecoverable)).toMatchObject({
        stage: 'failed',
        lastError: 'stalled too often',
      });
      // a run already final is left as its job recorded it
      await new Promise((r) => setTimeout(r, 200));
      expect(await runs.get(delivered)).toMatchObject({ stage: 'delivered', outcome: 'delivered' });
    } finally {
      await running.close();
    }
  });

  it('close() does not wait past its deadline for a hung write', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => sockets.add(s)); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as AddressInfo;
    const running = await startWorkers(base(`http://127.0.0.1:${port}/`));
    try {
      const run = await sampleRun(runs);
      await enqueueWarehouse(running.queues.warehouse, run);
      await waitFor(() => sockets.size === 1, { what: 'write in flight' });
      const started = Date.now();
      await running.close(300);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
