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
import {
  sampleRun,
  startJsonReceiver,
  startTcpProxy,
  type JsonReceiver,
  type TcpProxy,
} from '../clients/warehouse-testkit';
import { createLogger } from '../logger';
import { enqueueWarehouse } from '../queues';
import { startWorkers, type RunningWorkers } from '../workers';

const logger = createLogger({ level: 'silent' });

describe('warehouse unreachable, then back', () => {
  let redisFx: RedisFixture;
  let pgFx: PgFixture;
  let proxy: TcpProxy;
  let sink: WarehouseSink;
  let hook: JsonReceiver;
  let running: RunningWorkers;
  let runs: RunStore;

  beforeEach(async () => {
    [redisFx, pgFx] = await Promise.all([createRedisFixture('outage'), createPgFixture('outage')]);
    const target = new URL(pgFx.databaseUrl);
    proxy = await startTcpProxy(
      { host: target.hostname, port: Number(target.port || 5432) },
      'refuse',
    );
    target.host = `127.0.0.1:${proxy.port}`;
    sink = createWarehouseSink(
      { url: target.toString(), table: pgFx.table(), dataDir: '' },
      logger,
      { timeoutMs: 2_000 },
    );
    hook = await startJsonReceiver(() => ({ status: 200 }));
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
      jobOptions: { warehouse: { attempts: 20, backoff: { type: 'fixed', delay: 150 } } },
    });
  });
  afterEach(async () => {
    await running.close(5_000);
    await sink.close();
    await proxy.close();
    await hook.close();
    await Promise.all([redisFx.cleanup(), pgFx.cleanup()]);
  });

  it('retries while the connection is refused, lands after recovery, and only then notifies', async () => {
    const run = await sampleRun(runs);
    await enqueueWarehouse(running.queues.warehouse, run);

    // Down: attempts fail, the run waits in `delivering` with the error, nothing is announced.
    const job = await waitFor(
      async () => {
        const j = await running.queues.warehouse.getJob(run.report.reportId);
        return j !== undefined && j.attemptsMade >= 3 && j;
      },
      { what: 'three failed attempts' },
    );
    expect(proxy.connections).toBeGreaterThanOrEqual(3);
    const waiting = await runs.get(run.runId);
    expect(waiting?.stage).toBe('delivering');
    expect(waiting?.lastError).toMatch(/Connection terminated|ECONNRESET|closed/i);
    expect(job.failedReason).toMatch(/Connection terminated|ECONNRESET|closed/i);
    expect(hook.requests).toHaveLength(0);
    const { rows: before } = await pgFx.pool.query(`select to_regclass($1) as t`, [pgFx.table()]);
    expect(before[0]).toEqual({ t: null }); // not even the table: nothing got through

    const recoveredAt = Date.now();
    proxy.setMode('forward');

    const delivered = await waitFor(
      async () => {
        const r = await runs.get(run.runId);
        return r?.stage === 'delivered' && r;
      },
      { what: 'delivered after recovery' },
    );
    expect(Date.parse(delivered.stages.delivered ?? '')).toBeGreaterThanOrEqual(recoveredAt - 5);
    const { rows } = await pgFx.pool.query<{ report: unknown }>(
      `select report from ${pgFx.table()}`,
    );
    expect(rows).toEqual([{ report: run.report }]);

    await waitFor(() => hook.requests.length === 1, { what: 'the delivered notification' });
    const [note] = hook.requests;
    expect(note?.at).toBeGreaterThanOrEqual(recoveredAt);
    expect((note?.body as Notification).event).toBe('report.delivered');
  });
});
