import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startJsonReceiver, waitFor, type JsonReceiver } from '@wrapup/shared/testing';
import { sampleRun, startWarehouseWorkers, type WarehouseWorkers } from '../testing/sinks';
import { createQueues, enqueueWarehouse, redisConnection, type Queues } from '../queues';
const childScript = fileURLToPath(new URL('./warehouse-crash-child.ts', import.meta.url));
const workerDir = fileURLToPath(new URL('../..', import.meta.url));

describe('a worker killed with SIGKILL during a write', () => {
  let fx: WarehouseWorkers;
  let hook: JsonReceiver;
  let queues: Queues;
  let child: ChildProcess | undefined;
  let blocker: pg.Client | undefined;

  beforeEach(async () => {
    hook = await startJsonReceiver();
    // The second worker starts in the test, after the first one was killed.
    fx = await startWarehouseWorkers({ name: 'crash', notifyUrls: [hook.url], workers: false });
    await fx.sink.init();
    queues = createQueues(redisConnection(fx.redisFx.redisUrl), fx.redisFx.prefix);
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await blocker?.end().catch(() => undefined);
    await fx.close();
    await queues.close();
    await hook.close();
  });

  it('leaves one row once another worker picks the job up', async () => {
    const run = await sampleRun(fx.runs);
    // Hold the report's row in an open transaction so the child's upsert blocks mid-write.
    blocker = new pg.Client({ connectionString: fx.pgFx.databaseUrl });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query(
      `insert into ${fx.pgFx.table()} values ($1, 'x', 'completed', now(), null, 0, 0, 0, 0, false, '{}', now())`,
      [run.report.reportId],
    );
    await enqueueWarehouse(queues.warehouse, run);

    child = spawn(process.execPath, ['--import', 'tsx', childScript], {
      cwd: workerDir,
      env: {
        ...process.env,
        REDIS_URL: fx.redisFx.redisUrl,
        QUEUE_PREFIX: fx.redisFx.prefix,
        WAREHOUSE_URL: fx.pgFx.databaseUrl,
        WAREHOUSE_TABLE: fx.pgFx.table(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));

    // The child's write is in progress: its insert waits on our row lock.
    await waitFor(
      async () => {
        if (child?.exitCode !== null) throw new Error(`child exited early: ${stderr}`);
        const { rows } = await fx.pgFx.pool.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like $1`,
          [`insert into "${fx.pgFx.schema}"%`],
        );
        return rows[0]?.n === 1;
      },
      { what: 'child blocked inside its warehouse write', timeoutMs: 15_000 },
    );
    expect((await fx.runs.get(run.runId))?.stage).toBe('delivering');

    child.kill('SIGKILL');
    const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
    expect(signal).toBe('SIGKILL');
    // Release the row: the dead worker's statement may still commit (write landed, confirmation lost).
    await blocker.query('rollback');

    await fx.start({ concurrency: 1, queues, lockDurationMs: 1_000, stalledIntervalMs: 500 });

    const delivered = await waitFor(
      async () => {
        const r = await fx.runs.get(run.runId);
        return r?.stage === 'delivered' && r;
      },
      { what: 'delivered by the second worker', timeoutMs: 10_000 },
    );
    expect(delivered.reportId).toBe(run.report.reportId);
    const { rows } = await fx.pgFx.pool.query<{ report: unknown }>(
      `select report from ${fx.pgFx.table()}`,
    );
    expect(rows).toEqual([{ report: run.report }]);
    const job = await queues.warehouse.getJob(run.report.reportId);
    expect(await job?.getState()).toBe('completed');
    expect(job?.stalledCounter).toBe(1); // taken over after its worker died, not retried by a failure
    expect(job?.attemptsStarted).toBe(2);
    await waitFor(() => hook.requests.length === 1, { what: 'one delivered notification' });
  });
});
