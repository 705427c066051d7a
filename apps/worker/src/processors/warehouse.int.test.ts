import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Notification } from '@wrapup/shared';
import { startJsonReceiver, waitFor, type JsonReceiver } from '@wrapup/shared/testing';
import { sampleRun, startWarehouseWorkers, type WarehouseWorkers } from '../testing/sinks';
import { enqueueWarehouse, notifyJobId } from '../queues';

describe('warehouse stage end to end (PostgreSQL, Redis, local receivers)', () => {
  let fx: WarehouseWorkers;
  let hooks: JsonReceiver[];

  beforeEach(async () => {
    hooks = await Promise.all([startJsonReceiver(), startJsonReceiver()]);
    fx = await startWarehouseWorkers({
      name: 'wh',
      notifyUrls: hooks.map((h) => h.url),
      workers: {
        concurrency: 5,
        jobOptions: { warehouse: { attempts: 3, backoff: { type: 'fixed', delay: 100 } } },
      },
    });
  });
  afterEach(async () => {
    await fx.close();
    await Promise.all(hooks.map((h) => h.close()));
  });

  const rows = async (reportId: string) =>
    (
      await fx.pgFx.pool.query<Record<string, unknown>>(
        `select * from ${fx.pgFx.table()} where report_id = $1`,
        [reportId],
      )
    ).rows;

  it('lands completed and stopped reports, marks the runs, then notifies every URL once', async () => {
    const completed = await sampleRun(fx.runs, { status: 'completed' });
    const stopped = await sampleRun(fx.runs, { status: 'stopped', complete: false });
    await enqueueWarehouse(fx.running.queues.warehouse, completed);
    await enqueueWarehouse(fx.running.queues.warehouse, stopped);

    const done = await waitFor(
      async () => {
        const [a, b] = await Promise.all([
          fx.runs.get(completed.runId),
          fx.runs.get(stopped.runId),
        ]);
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
    // A job is marked completed just after its receiver answered: wait for all four.
    const ids = await waitFor(
      async () => {
        const jobs = await fx.running.queues.notify.getJobs(['completed']);
        return jobs.length >= 4 && jobs.map((j) => j.id).sort();
      },
      { what: 'four notify jobs completed' },
    );
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
    const run = await sampleRun(fx.runs);
    // The same job re-added 50 times (redeliveries) is one job ...
    await Promise.all(
      Array.from({ length: 50 }, () => enqueueWarehouse(fx.running.queues.warehouse, run)),
    );
    // ... and 50 replays under their own job ids are processed, each rewriting the same row.
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        enqueueWarehouse(fx.running.queues.warehouse, run, {
          jobId: `${run.report.reportId}.replay-${i}`,
        }),
      ),
    );
    await waitFor(
      async () => (await fx.running.queues.warehouse.getJobCounts('completed')).completed === 51,
      {
        what: '51 warehouse jobs completed',
      },
    );
    expect(
      await fx.running.queues.warehouse.getJobCounts('failed', 'waiting', 'active', 'delayed'),
    ).toEqual({
      failed: 0,
      waiting: 0,
      active: 0,
      delayed: 0,
    });
    // Writes of one report in one process queue behind each other: no read-back races, no retries.
    const attempts = (await fx.running.queues.warehouse.getJobs(['completed'])).map(
      (j) => j.attemptsMade,
    );
    expect(new Set(attempts)).toEqual(new Set([1]));
    expect(await rows(run.report.reportId)).toHaveLength(1);
    const { rows: all } = await fx.pgFx.pool.query<{ n: string }>(
      `select count(*) as n from ${fx.pgFx.table()}`,
    );
    expect(all[0]?.n).toBe('1');
    expect((await fx.runs.get(run.runId))?.stage).toBe('delivered');

    await waitFor(() => hooks.every((h) => h.requests.length >= 1), { what: 'notifications' });
    await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show up
    for (const hook of hooks) expect(hook.requests).toHaveLength(1);
  });
});
