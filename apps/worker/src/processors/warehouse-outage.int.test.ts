import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Notification } from '@wrapup/shared';
import {
  startJsonReceiver,
  startTcpProxy,
  waitFor,
  type JsonReceiver,
  type TcpProxy,
} from '@wrapup/shared/testing';
import { sampleRun, startWarehouseWorkers, type WarehouseWorkers } from '../testing/sinks';
import { enqueueWarehouse } from '../queues';

describe('warehouse unreachable, then back', () => {
  let fx: WarehouseWorkers;
  let proxy: TcpProxy;
  let hook: JsonReceiver;

  beforeEach(async () => {
    hook = await startJsonReceiver();
    fx = await startWarehouseWorkers({
      name: 'outage',
      notifyUrls: [hook.url],
      // The sink reaches PostgreSQL only through a proxy that starts cut off.
      warehouseUrl: async (pgFx) => {
        const target = new URL(pgFx.databaseUrl);
        proxy = await startTcpProxy(
          { host: target.hostname, port: Number(target.port || 5432) },
          { cut: true },
        );
        target.host = `127.0.0.1:${proxy.port}`;
        return target.toString();
      },
      sinkOptions: { timeoutMs: 2_000 },
      workers: {
        jobOptions: { warehouse: { attempts: 20, backoff: { type: 'fixed', delay: 150 } } },
      },
    });
  });
  afterEach(async () => {
    await fx.close();
    await proxy.close();
    await hook.close();
  });

  it('retries while the connection is refused, lands after recovery, and only then notifies', async () => {
    const run = await sampleRun(fx.runs);
    await enqueueWarehouse(fx.running.queues.warehouse, run);

    // Down: attempts fail, the run waits in `delivering` with the error, nothing is announced.
    const job = await waitFor(
      async () => {
        const j = await fx.running.queues.warehouse.getJob(run.report.reportId);
        return j !== undefined && j.attemptsMade >= 3 && j;
      },
      { what: 'three failed attempts' },
    );
    expect(proxy.connections).toBeGreaterThanOrEqual(3);
    const waiting = await fx.runs.get(run.runId);
    expect(waiting?.stage).toBe('delivering');
    expect(waiting?.lastError).toMatch(/Connection terminated|ECONNRESET|closed/i);
    expect(job.failedReason).toMatch(/Connection terminated|ECONNRESET|closed/i);
    expect(hook.requests).toHaveLength(0);
    const { rows: before } = await fx.pgFx.pool.query(`select to_regclass($1) as t`, [
      fx.pgFx.table(),
    ]);
    expect(before[0]).toEqual({ t: null }); // not even the table: nothing got through

    const recoveredAt = Date.now();
    proxy.restore();

    const delivered = await waitFor(
      async () => {
        const r = await fx.runs.get(run.runId);
        return r?.stage === 'delivered' && r;
      },
      { what: 'delivered after recovery' },
    );
    expect(Date.parse(delivered.stages.delivered ?? '')).toBeGreaterThanOrEqual(recoveredAt - 5);
    const { rows } = await fx.pgFx.pool.query<{ report: unknown }>(
      `select report from ${fx.pgFx.table()}`,
    );
    expect(rows).toEqual([{ report: run.report }]);

    await waitFor(() => hook.requests.length === 1, { what: 'the delivered notification' });
    const [note] = hook.requests;
    expect(note?.at).toBeGreaterThanOrEqual(recoveredAt);
    expect((note?.body as Notification).event).toBe('report.delivered');
  });
});
