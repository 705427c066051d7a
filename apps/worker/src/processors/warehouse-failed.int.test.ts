import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStore } from '@wrapup/runs';
import type { Notification } from '@wrapup/shared';
import { createRedisFixture, waitFor, type RedisFixture } from '@wrapup/shared/testing';
import { createNotifier } from '../clients/notifier';
import { createWarehouseSink, type WarehouseSink } from '../clients/warehouse';
import { sampleRun, startJsonReceiver, type JsonReceiver } from '../clients/warehouse-testkit';
import { createLogger } from '../logger';
import { enqueueWarehouse } from '../queues';
import { startWorkers, type RunningWorkers } from '../workers';
import { keptReportKey, loadKeptReport } from './warehouse-kept';

const logger = createLogger({ level: 'silent' });

describe('HTTP warehouse answering 200 without the echo', () => {
  let redisFx: RedisFixture;
  let warehouse: JsonReceiver;
  let hook: JsonReceiver;
  let sink: WarehouseSink;
  let runs: RunStore;
  let running: RunningWorkers;

  beforeEach(async () => {
    redisFx = await createRedisFixture('whfail');
    warehouse = await startJsonReceiver(() => ({ status: 200, body: { ok: true } }));
    hook = await startJsonReceiver(() => ({ status: 200 }));
    sink = createWarehouseSink({ url: warehouse.url, table: 'unused', dataDir: '' }, logger, {
      timeoutMs: 2_000,
    });
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
      notifyUrls: [hook.url],
      logger,
      jobOptions: { warehouse: { attempts: 3, backoff: { type: 'fixed', delay: 100 } } },
    });
  });
  afterEach(async () => {
    await running.close(5_000);
    await Promise.all([warehouse.close(), hook.close()]);
    await redisFx.cleanup();
  });

  it('is never delivered: retried, then failed with the report kept and report.failed sent', async () => {
    const run = await sampleRun(runs);
    await enqueueWarehouse(running.queues.warehouse, run);

    const failed = await waitFor(
      async () => {
        const r = await runs.get(run.runId);
        return r?.stage === 'failed' && r;
      },
      { what: 'run failed' },
    );
    expect(failed).toMatchObject({ reportId: run.report.reportId, outcome: 'failed' });
    expect(failed.lastError).toMatch(/answered 200 without echoing reportId/);
    expect(failed.stages.delivered).toBeUndefined();
    expect(warehouse.requests).toHaveLength(3);
    expect(new Set(warehouse.requests.map((r) => r.headers['idempotency-key']))).toEqual(
      new Set([run.report.reportId]),
    );

    // The report is kept twice over: under the run for replay, and in the failed job.
    expect(keptReportKey(redisFx.prefix, run.runId).startsWith(`${redisFx.prefix}:`)).toBe(true);
    expect(await loadKeptReport(redisFx.redis, redisFx.prefix, run.runId)).toEqual(run.report);
    const job = await waitFor(
      () =>
        running.queues.warehouse
          .getJob(run.report.reportId)
          .then((j) => (j?.finishedOn ? j : undefined)),
      {
        what: 'job finished',
      },
    );
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(3);
    expect(job.data).toEqual({ runId: run.runId, report: run.report });

    await waitFor(() => hook.requests.length === 1, { what: 'report.failed notification' });
    const body = hook.requests[0]?.body as Notification;
    expect(body).toMatchObject({
      event: 'report.failed',
      campaignId: run.report.campaignId,
      runId: run.runId,
      reportId: run.report.reportId,
      report: run.report,
    });
    expect(body.text).toMatch(
      new RegExp(
        `^Report ${run.report.reportId} for campaign ${run.report.campaignId} could not be written`,
      ),
    );
  });
});
