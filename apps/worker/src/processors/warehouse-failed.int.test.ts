import { describe, expect, it } from 'vitest';
import type { Notification } from '@wrapup/shared';
import { closeAfterEach, startJsonReceiver, waitFor } from '@wrapup/shared/testing';
import { sampleRun, startWarehouseWorkers } from '../testing/sinks';
import { enqueueWarehouse } from '../queues';
import { keptReportKey, loadKeptReport } from './warehouse-kept';

describe('HTTP warehouse answering 200 without the echo', () => {
  const closing = closeAfterEach();

  it('is never delivered: retried, then failed with the report kept and report.failed sent', async () => {
    const warehouse = closing(await startJsonReceiver(() => ({ status: 200, body: { ok: true } })));
    const hook = closing(await startJsonReceiver());
    const fx = closing(
      await startWarehouseWorkers({
        name: 'whfail',
        notifyUrls: [hook.url],
        warehouseUrl: () => warehouse.url,
        sinkOptions: { timeoutMs: 2_000 },
        workers: {
          jobOptions: { warehouse: { attempts: 3, backoff: { type: 'fixed', delay: 100 } } },
        },
      }),
    );
    const run = await sampleRun(fx.runs);
    await enqueueWarehouse(fx.running.queues.warehouse, run);

    const failed = await waitFor(
      async () => {
        const r = await fx.runs.get(run.runId);
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
    expect(keptReportKey(fx.redisFx.prefix, run.runId).startsWith(`${fx.redisFx.prefix}:`)).toBe(
      true,
    );
    expect(await loadKeptReport(fx.redisFx.redis, fx.redisFx.prefix, run.runId)).toEqual(
      run.report,
    );
    const job = await waitFor(
      () =>
        fx.running.queues.warehouse
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
