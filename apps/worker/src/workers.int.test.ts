import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStore } from '@wrapup/runs';
import { createRedisFixture, waitFor, type RedisFixture } from '@wrapup/shared/testing';
import { createNotifier } from './clients/notifier';
import { createWarehouseSink } from './clients/warehouse';
import { sampleRun } from './clients/warehouse-testkit';
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
