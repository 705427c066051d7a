import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStore } from '@wrapup/runs';
import type { Notification } from '@wrapup/shared';
import {
  createPgFixture,
  createRedisFixture,
  waitFor,
  type PgFixture,
  type RedisFixture,
} from '@wrapup/shared/testing';
import { createNotifier } from '../clients/notifier';
import { createWarehouseSink, type WarehouseSink } from '../clients/warehouse';
import { sampleRun, startJsonReceiver, type JsonReceiver } from '../clients/warehouse-testkit';
import { createLogger } from '../logger';
import { enqueueWarehouse, notifyJobId } from '../queues';
import { startWorkers, type RunningWorkers } from '../workers';

const logger = createLogger({ level: 'silent' });

describe('a failing notifier', () => {
  let redisFx: RedisFixture;
  let pgFx: PgFixture;
  let sink: WarehouseSink;
  let flaky: JsonReceiver;
  let healthy: JsonReceiver;
  let runs: RunStore;
  let running: RunningWorkers;

  beforeEach(async () => {
    [redisFx, pgFx] = await Promise.all([createRedisFixture('notify'), createPgFixture('notify')]);
    sink = createWarehouseSink({ url: pgFx.databaseUrl, table: pgFx.table(), dataDir: '' }, logger);
    flaky = await startJsonReceiver((_req, i) =>
      i < 3 ? { status: 500, body: { error: 'down' } } : { status: 200 },
    );
    healthy = await startJsonReceiver(() => ({ status: 200 }));
    runs = new RunStore(redisFx.redis, {
      prefix: redisFx.prefix,
      dedupeTtlSeconds: 600,
      retentionSeconds: 600,
      startTtlSeconds: 600,
    });
    running = await startWorkers({
      redisUrl: redisFx.redisUrl,
      prefix: redisFx.prefix,
      concurrency: 2,
      sink,
      notifier: createNotifier({ timeoutMs: 2_000 }),
      runs,
      notifyUrls: [flaky.url, healthy.url],
      logger,
      jobOptions: { notify: { attempts: 6, backoff: { type: 'fixed', delay: 250 } } },
    });
  });
  afterEach(async () => {
    await running.close(5_000);
    await sink.close();
    await Promise.all([flaky.close(), healthy.close()]);
    await Promise.all([redisFx.cleanup(), pgFx.cleanup()]);
  });

  it('answering 500 leaves the row and the delivered run alone while it retries, then succeeds', async () => {
    const run = await sampleRun(runs);
    await enqueueWarehouse(running.queues.warehouse, run);

    await waitFor(() => flaky.requests.length >= 1, { what: 'first notification attempt' });
    // While the notifier is failing: the report is in the warehouse and the run is delivered.
    const { rows } = await pgFx.pool.query<{ report_id: string }>(
      `select report_id from ${pgFx.table()}`,
    );
    expect(rows).toEqual([{ report_id: run.report.reportId }]);
    const during = await runs.get(run.runId);
    expect(during).toMatchObject({ stage: 'delivered', outcome: 'delivered' });
    expect(during?.lastError).toBeUndefined();
    // The other URL is not held up by the failing one.
    await waitFor(() => healthy.requests.length === 1, { what: 'healthy URL notified' });
    expect(flaky.requests.length).toBeLessThan(4);

    await waitFor(() => flaky.requests.length === 4, {
      what: 'notification retried until 200',
      timeoutMs: 5_000,
    });
    const job = await waitFor(
      () =>
        running.queues.notify
          .getJob(notifyJobId(run.runId, 'report.delivered', flaky.url))
          .then((j) => (j?.finishedOn ? j : undefined)),
      { what: 'notify job finished' },
    );
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(4);
    expect(flaky.requests.map((r) => (r.body as Notification).event)).toEqual(
      Array(4).fill('report.delivered'),
    );

    const after = await runs.get(run.runId);
    expect(after?.stage).toBe('delivered');
    expect(after?.stages).toEqual(during?.stages);
  });

  it('does not notify twice when a job that already got its 2xx runs again', async () => {
    const run = await sampleRun(runs);
    await enqueueWarehouse(running.queues.warehouse, run);
    const id = notifyJobId(run.runId, 'report.delivered', healthy.url);
    const job = await waitFor(
      () => running.queues.notify.getJob(id).then((j) => (j?.finishedOn ? j : undefined)),
      { what: 'notify job finished' },
    );
    expect(healthy.requests).toHaveLength(1);
    expect(healthy.requests[0]?.headers['idempotency-key']).toBe(id);

    // As if its worker had died (or lost its lock) after the receiver answered: the job runs again.
    await job.retry('completed');
    await waitFor(
      async () => (await running.queues.notify.getJob(id))?.attemptsStarted === 2 && (await job.getState()) === 'completed',
      { what: 'the re-run to complete' },
    );
    expect(healthy.requests).toHaveLength(1);
  });
});
