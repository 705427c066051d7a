import { beforeEach, describe, expect, it } from 'vitest';
import type { Notification } from '@wrapup/shared';
import {
  closeAfterEach,
  startJsonReceiver,
  waitFor,
  type JsonReceiver,
} from '@wrapup/shared/testing';
import { sampleRun, startWarehouseWorkers, type WarehouseWorkers } from '../testing/sinks';
import { enqueueWarehouse, notifyJobId } from '../queues';

describe('a failing notifier', () => {
  const closing = closeAfterEach();
  let fx: WarehouseWorkers;
  let flaky: JsonReceiver;
  let healthy: JsonReceiver;

  beforeEach(async () => {
    flaky = closing(
      await startJsonReceiver((_req, i) =>
        i < 3 ? { status: 500, body: { error: 'down' } } : { status: 200 },
      ),
    );
    healthy = closing(await startJsonReceiver());
    fx = closing(
      await startWarehouseWorkers({
        name: 'notify',
        notifyUrls: [flaky.url, healthy.url],
        workers: {
          jobOptions: { notify: { attempts: 6, backoff: { type: 'fixed', delay: 250 } } },
        },
      }),
    );
  });

  it('answering 500 leaves the row and the delivered run alone while it retries, then succeeds', async () => {
    const run = await sampleRun(fx.runs);
    await enqueueWarehouse(fx.running.queues.warehouse, run);

    await waitFor(() => flaky.requests.length >= 1, { what: 'first notification attempt' });
    // While the notifier is failing: the report is in the warehouse and the run is delivered.
    const { rows } = await fx.pgFx.pool.query<{ report_id: string }>(
      `select report_id from ${fx.pgFx.table()}`,
    );
    expect(rows).toEqual([{ report_id: run.report.reportId }]);
    const during = await fx.runs.get(run.runId);
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
        fx.running.queues.notify
          .getJob(notifyJobId(run.runId, 'report.delivered', flaky.url))
          .then((j) => (j?.finishedOn ? j : undefined)),
      { what: 'notify job finished' },
    );
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(4);
    expect(flaky.requests.map((r) => (r.body as Notification).event)).toEqual(
      Array(4).fill('report.delivered'),
    );

    const after = await fx.runs.get(run.runId);
    expect(after?.stage).toBe('delivered');
    expect(after?.stages).toEqual(during?.stages);
  });

  it('does not notify twice when a job that already got its 2xx runs again', async () => {
    const run = await sampleRun(fx.runs);
    await enqueueWarehouse(fx.running.queues.warehouse, run);
    const id = notifyJobId(run.runId, 'report.delivered', healthy.url);
    const job = await waitFor(
      () => fx.running.queues.notify.getJob(id).then((j) => (j?.finishedOn ? j : undefined)),
      { what: 'notify job finished' },
    );
    expect(healthy.requests).toHaveLength(1);
    expect(healthy.requests[0]?.headers['idempotency-key']).toBe(id);

    // As if its worker had died (or lost its lock) after the receiver answered: the job runs again.
    await job.retry('completed');
    await waitFor(
      async () =>
        (await fx.running.queues.notify.getJob(id))?.attemptsStarted === 2 &&
        (await job.getState()) === 'completed',
      { what: 'the re-run to complete' },
    );
    expect(healthy.requests).toHaveLength(1);
  });
});
