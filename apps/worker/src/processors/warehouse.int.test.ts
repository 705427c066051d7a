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

describe('warehouse stage end to end (PostgreSQL, Redis, local receivers)', () => {
  let redisFx: RedisFixture;
  let pgFx: PgFixture;
  let runs: RunStore;
  let sink: WarehouseSink;
  let hooks: JsonReceiver[];
  let running: RunningWorkers;

  beforeEach(async () => {
    [redisFx, pgFx] = await Promise.all([createRedisFixture('wh'), createPgFixture('wh')]);
    runs = new RunStore(redisFx.redis, {
      prefix: redisFx.prefix,
      dedupeTtlSeconds: 600,
      retentionSeconds: 600,
      startTtlSeconds: 600,
    });
    sink = createWarehouseSink({ url: pgFx.databaseUrl, table: pgFx.table(), dataDir: '' }, logger);
    hooks = await Promise.all([
      startJsonReceiver(() => ({ status: 200 })),
      startJsonReceiver(() => ({ status: 200 })),
    ]);
    running = await startWorkers({
      redisUrl: redisFx.redisUrl,
      prefix: redisFx.prefix,
      concurrency: 5,
      sink,
      notifier: createNotifier({ timeoutMs: 2_000 }),
      runs,
      notifyUrls: hooks.map((h) => h.url),
      logger,
      jobOptions: { warehouse: { attempts: 3, backoff: { type: 'fixed', delay: 100 } } },
    });
  });
  afterEach(async () => {
    await running.close(5_000);
    await sink.close();
    await Promise.all(hooks.map((h) => h.close()));
    await Promise.all([redisFx.cleanup(), pgFx.cleanup()]);
  });

  const rows = async (reportId: string) =>
    (
      await pgFx.pool.query<Record<string, unknown>>(
        `select * from ${pgFx.table()} where report_id = $1`,
        [reportId],
      )
    ).rows;

  it('lands completed and stopped reports, marks the runs, then notifies every URL once', async () => {
    const completed = await sampleRun(runs, { status: 'completed' });
    const stopped = await sampleRun(runs, { status: 'stopped', complete: false });
    await enqueueWarehouse(running.queues.warehouse, completed);
    await enqueueWarehouse(running.queues.warehouse, stopped);

    const done = await waitFor(
      async () => {
        const [a, b] = await Promise.all([runs.get(completed.runId), runs.get(stopped.runId)]);
        return a?.stage === 'delivered' && b?.stage === 'incomplete' && ([a, b] as const);
      },
      { what: 'both runs finished' },
    );
    expect(done[0]).toMatchObject({
      reportId: completed.report.reportId,
      outcome: 'delivered',
      observedCount: 1500,
      expectedCount: 1500,
    });
    expect(done[1]).toMatchObject({
      reportId: stopped.report.reportId,
      outcome: 'incomplete',
      observedCount: 1200,
      expectedCount: 1500,
    });
    expect(Object.keys(done[0].stages)).toEqual(
      expect.arrayContaining(['received', 'delivering', 'delivered']),
    );

    for (const { report } of [completed, stopped]) {
      const [row, ...more] = await rows(report.reportId);
      expect(more).toHaveLength(0);
      expect(row).toMatchObject({
        campaign_id: report.campaignId,
        status: report.metrics.status,
        total_calls_attempted: 1500,
        successful_contacts: 450,
        contact_rate: 0.3,
        avg_handle_time_seconds: 120.5,
        complete: report.dataComplete,
        end_time: report.endTime === null ? null : new Date(report.endTime),
        completion_timestamp: new Date(report.completionTimestamp),
        report,
      });
    }

    await waitFor(() => hooks.every((h) => h.requests.length === 2), {
      what: 'two notifications per URL',
    });
    for (const hook of hooks) {
      const bodies = hook.requests.map((r) => r.body as Notification);
      const delivered = bodies.find((b) => b.event === 'report.delivered');
      const incomplete = bodies.find((b) => b.event === 'report.incomplete');
      expect(delivered).toEqual({
        text: `Campaign ${completed.report.campaignId} completed: 1500 attempted, 450 connected (30.0%), avg handle 120.5 s`,
        event: 'report.delivered',
        campaignId: completed.report.campaignId,
        runId: completed.runId,
        reportId: completed.report.reportId,
        report: completed.report,
      });
      expect(incomplete?.text).toBe(
        `Campaign ${stopped.report.campaignId} stopped: 1500 attempted, 450 connected (30.0%), avg handle 120.5 s (analytics incomplete: 1200 of 1500 expected)`,
      );
    }
    const ids = (await running.queues.notify.getJobs(['completed'])).map((j) => j.id).sort();
    expect(ids).toEqual(
      hooks
        .flatMap((h) => [
          notifyJobId(completed.runId, 'report.delivered', h.url),
          notifyJobId(stopped.runId, 'report.incomplete', h.url),
        ])
        .sort(),
    );
  });

  it('50 replays of one run leave one row and one notification per URL', async () => {
    const run = await sampleRun(runs);
    // The same job re-added 50 times (redeliveries) is one job ...
    await Promise.all(
      Array.from({ length: 50 }, () => enqueueWarehouse(running.queues.warehouse, run)),
    );
    // ... and 50 replays under their own job ids are processed, each rewriting the same row.
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        enqueueWarehouse(running.queues.warehouse, run, {
          jobId: `${run.report.reportId}.replay-${i}`,
        }),
      ),
    );
    await waitFor(
      async () => (await running.queues.warehouse.getJobCounts('completed')).completed === 51,
      {
        what: '51 warehouse jobs completed',
      },
    );
    expect(
      await running.queues.warehouse.getJobCounts('failed', 'waiting', 'active', 'delayed'),
    ).toEqual({
      failed: 0,
      waiting: 0,
      active: 0,
      delayed: 0,
    });
    // Writes of one report in one process queue behind each other: no read-back races, no retries.
    const attempts = (await running.queues.warehouse.getJobs(['completed'])).map(
      (j) => j.attemptsMade,
    );
    expect(new Set(attempts)).toEqual(new Set([1]));
    expect(await rows(run.report.reportId)).toHaveLength(1);
    const { rows: all } = await pgFx.pool.query<{ n: string }>(
      `select count(*) as n from ${pgFx.table()}`,
    );
    expect(all[0]?.n).toBe('1');
    expect((await runs.get(run.runId))?.stage).toBe('delivered');

    await waitFor(() => hooks.every((h) => h.requests.length >= 1), { what: 'notifications' });
    await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show up
    for (const hook of hooks) expect(hook.requests).toHaveLength(1);
  });
});
