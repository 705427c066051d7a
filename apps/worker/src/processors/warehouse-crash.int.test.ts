import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStore } from '@wrapup/runs';
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
import { createQueues, enqueueWarehouse, redisConnection, type Queues } from '../queues';
import { startWorkers, type RunningWorkers } from '../workers';

const logger = createLogger({ level: 'silent' });
const childScript = fileURLToPath(new URL('./warehouse-crash-child.ts', import.meta.url));
const workerDir = fileURLToPath(new URL('../..', import.meta.url));

describe('a worker killed with SIGKILL during a write', () => {
  let redisFx: RedisFixture;
  let pgFx: PgFixture;
  let sink: WarehouseSink;
  let hook: JsonReceiver;
  let runs: RunStore;
  let queues: Queues;
  let child: ChildProcess | undefined;
  let blocker: pg.Client | undefined;
  let running: RunningWorkers | undefined;

  beforeEach(async () => {
    [redisFx, pgFx] = await Promise.all([createRedisFixture('crash'), createPgFixture('crash')]);
    sink = createWarehouseSink({ url: pgFx.databaseUrl, table: pgFx.table(), dataDir: '' }, logger);
    await sink.init();
    hook = await startJsonReceiver(() => ({ status: 200 }));
    runs = new RunStore(redisFx.redis, {
      prefix: redisFx.prefix,
      dedupeTtlSeconds: 600,
      retentionSeconds: 600,
      startTtlSeconds: 600,
    });
    queues = createQueues(redisConnection(redisFx.redisUrl), redisFx.prefix);
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await blocker?.end().catch(() => undefined);
    await running?.close(5_000);
    await queues.close();
    await sink.close();
    await hook.close();
    await Promise.all([redisFx.cleanup(), pgFx.cleanup()]);
  });

  it('leaves one row once another worker picks the job up', async () => {
    const run = await sampleRun(runs);
    // Hold the report's row in an open transaction so the child's upsert blocks mid-write.
    blocker = new pg.Client({ connectionString: pgFx.databaseUrl });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query(
      `insert into ${pgFx.table()} values ($1, 'x', 'completed', now(), null, 0, 0, 0, 0, false, '{}', now())`,
      [run.report.reportId],
    );
    await enqueueWarehouse(queues.warehouse, run);

    child = spawn(process.execPath, ['--import', 'tsx', childScript], {
      cwd: workerDir,
      env: {
        ...process.env,
        REDIS_URL: redisFx.redisUrl,
        QUEUE_PREFIX: redisFx.prefix,
        WAREHOUSE_URL: pgFx.databaseUrl,
        WAREHOUSE_TABLE: pgFx.table(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));

    // The child's write is in progress: its insert waits on our row lock.
    await waitFor(
      async () => {
        if (child?.exitCode !== null) throw new Error(`child exited early: ${stderr}`);
        const { rows } = await pgFx.pool.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like $1`,
          [`insert into "${pgFx.schema}"%`],
        );
        return rows[0]?.n === 1;
      },
      { what: 'child blocked inside its warehouse write', timeoutMs: 15_000 },
    );
    expect((await runs.get(run.runId))?.stage).toBe('delivering');

    child.kill('SIGKILL');
    const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
    expect(signal).toBe('SIGKILL');
    // Release the row: the dead worker's statement may still commit (write landed, confirmation lost).
    await blocker.query('rollback');

    running = await startWorkers({
      redisUrl: redisFx.redisUrl,
      prefix: redisFx.prefix,
      concurrency: 1,
      sink,
      notifier: createNotifier({ timeoutMs: 2_000 }),
      runs,
      notifyUrls: [hook.url],
      logger,
      queues,
      lockDurationMs: 1_000,
      stalledIntervalMs: 500,
    });

    const delivered = await waitFor(
      async () => {
        const r = await runs.get(run.runId);
        return r?.stage === 'delivered' && r;
      },
      { what: 'delivered by the second worker', timeoutMs: 10_000 },
    );
    expect(delivered.reportId).toBe(run.report.reportId);
    const { rows } = await pgFx.pool.query<{ report: unknown }>(
      `select report from ${pgFx.table()}`,
    );
    expect(rows).toEqual([{ report: run.report }]);
    const job = await queues.warehouse.getJob(run.report.reportId);
    expect(await job?.getState()).toBe('completed');
    expect(job?.stalledCounter).toBe(1); // taken over after its worker died, not retried by a failure
    expect(job?.attemptsStarted).toBe(2);
    await waitFor(() => hook.requests.length === 1, { what: 'one delivered notification' });
  });
});
