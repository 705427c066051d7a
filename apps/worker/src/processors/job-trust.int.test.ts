import type { Job, Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ANALYTICS_QUEUE,
  NOTIFY_QUEUE,
  WAREHOUSE_QUEUE,
  loadConfig,
  notifyTargetHash,
  reportIdFor,
  runIdFor,
  type NotifyJob,
} from '@wrapup/shared';
import { startJsonReceiver, waitFor, type JsonReceiver } from '@wrapup/shared/testing';
import { createInventory } from '../clients/inventory/inventory';
import { captureLogger, clientFor, simWith } from '../testing/genesys';
import {
  sampleReport,
  sampleRun,
  startWarehouseWorkers,
  type WarehouseWorkers,
} from '../testing/sinks';
import { buildNotification } from '../notifications';
import { createQueues, enqueueNotifications, redisConnection, type Queues } from '../queues';
import { createAnalyticsProcessor } from './analytics';

/** A Slack-like webhook URL on a local receiver: its path is the secret a job must never hold. */
const SECRET = 'T0000000/B0000000/XXXXsecretTOKENXXXX';
const secretUrl = (receiver: JsonReceiver) => `${new URL(receiver.url).origin}/services/${SECRET}`;

/** The job once it finished (completed or failed for good). */
const finished = (queue: Queue, id: string) =>
  waitFor(() => queue.getJob(id).then((j) => (j?.finishedOn ? (j as Job) : undefined)), {
    what: `job ${id} finished`,
  });

describe('jobs are not trusted', () => {
  let fx: WarehouseWorkers;
  let configured: JsonReceiver;
  let forged: JsonReceiver;
  let queues: Queues;
  let capture: ReturnType<typeof captureLogger>;
  let closeSim: () => Promise<void>;

  beforeEach(async () => {
    [configured, forged] = await Promise.all([startJsonReceiver(), startJsonReceiver()]);
    capture = captureLogger();
    fx = await startWarehouseWorkers({
      name: 'trust',
      notifyUrls: [secretUrl(configured)],
      workers: false,
    });
    await fx.sink.init(); // the table exists, so "no row" is a real answer
    const retried = { attempts: 3, backoff: { type: 'fixed', delay: 100 } } as const;
    queues = createQueues(redisConnection(fx.redisFx.redisUrl), fx.redisFx.prefix, {
      analytics: retried,
      warehouse: retried,
      notify: retried,
    });
    // A real analytics processor (simulated Genesys); only its job-data check is exercised here.
    const sim = await simWith();
    closeSim = () => sim.close();
    const { client } = clientFor(sim);
    await fx.start({
      queues,
      logger: capture.logger,
      analyticsProcessor: createAnalyticsProcessor({
        genesys: client,
        inventory: createInventory(
          { url: undefined, file: undefined },
          { genesys: client, timeoutMs: 2_000 },
        ),
        runs: fx.runs,
        warehouseQueue: queues.warehouse,
        notifyQueue: queues.notify,
        notifyUrls: [secretUrl(configured)],
        analytics: loadConfig({}).analytics,
        logger: capture.logger,
      }),
    });
  });
  afterEach(async () => {
    await fx.close();
    await queues.close();
    await closeSim();
    await Promise.all([configured.close(), forged.close()]);
  });

  const notification = () => {
    const { runId, report } = sampleReport();
    return buildNotification({ event: 'report.delivered', runId, report });
  };

  const rows = async () =>
    (await fx.pgFx.pool.query<{ report_id: string }>(`select report_id from ${fx.pgFx.table()}`))
      .rows;

  describe('notify', () => {
    it('a forged job holding a url of its own sends nothing and fails without retries', async () => {
      await queues.notify.add(
        'report.delivered',
        // as a forged job would be added: not through enqueueNotifications
        { url: forged.url, notification: notification() } as never,
        { jobId: 'forged-url' },
      );
      const job = await finished(queues.notify, 'forged-url');
      expect(await job.getState()).toBe('failed');
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toMatch(/^invalid notify job: /);
      expect(forged.requests).toHaveLength(0);
      expect(configured.requests).toHaveLength(0);
    });

    it('a job naming a URL that is not configured sends nothing and fails without retries', async () => {
      await queues.notify.add(
        'report.delivered',
        { target: { index: 0, hash: notifyTargetHash(forged.url) }, notification: notification() },
        { jobId: 'forged-target' },
      );
      const job = await finished(queues.notify, 'forged-target');
      expect(await job.getState()).toBe('failed');
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toMatch(/no longer configured/);
      expect(forged.requests).toHaveLength(0);
      expect(configured.requests).toHaveLength(0);
    });

    it('delivers to a configured URL; neither job data, ids, keys nor logs hold the URL', async () => {
      const url = secretUrl(configured);
      const n = notification();
      const [id] = await enqueueNotifications(queues.notify, [url], n);
      expect(id).toBeDefined();
      const job = await finished(queues.notify, id ?? '');
      expect(await job.getState()).toBe('completed');
      expect(configured.requests).toHaveLength(1);
      expect(configured.requests[0]?.body).toEqual(n);

      const raw = await fx.redisFx.redis.hgetall(`${fx.redisFx.prefix}:${NOTIFY_QUEUE}:${id}`);
      expect(JSON.parse(raw.data ?? '{}')).toEqual({
        target: { index: 0, hash: notifyTargetHash(url) },
        notification: n,
      });
      const everything = JSON.stringify([
        raw,
        await fx.redisFx.redis.keys(`${fx.redisFx.prefix}*`),
      ]);
      expect(everything).not.toContain(SECRET);
      expect(everything).not.toContain(url);
      expect(capture.lines.length).toBeGreaterThan(0);
      expect(JSON.stringify(capture.lines)).not.toContain(SECRET);
    });

    it('finds its URL by hash when NOTIFY_URLS changed, and never sends to one removed', async () => {
      const url = secretUrl(configured);
      // Made while NOTIFY_URLS was "forged, configured"; the worker now has only "configured".
      const ids = await enqueueNotifications(queues.notify, [forged.url, url], notification());
      const [removed, moved] = await Promise.all(ids.map((id) => finished(queues.notify, id)));
      expect((moved?.data as NotifyJob | undefined)?.target.index).toBe(1);
      expect(await moved?.getState()).toBe('completed');
      expect(configured.requests).toHaveLength(1);
      expect(await removed?.getState()).toBe('failed');
      expect(removed?.attemptsMade).toBe(1);
      expect(removed?.failedReason).toMatch(/no longer configured/);
      expect(forged.requests).toHaveLength(0);
    });

    it("a URL that cannot be reached fails the job naming its origin only, never the URL's secret", async () => {
      await configured.close(); // the configured URL now refuses connections
      const [id] = await enqueueNotifications(
        queues.notify,
        [secretUrl(configured)],
        notification(),
      );
      const job = await finished(queues.notify, id ?? '');
      expect(await job.getState()).toBe('failed');
      expect(job.attemptsMade).toBe(3);
      expect(job.failedReason).toMatch(/^notifier http:\/\/127\.0\.0\.1:\d+ failed: /);
      expect(JSON.stringify([job.failedReason, job.stacktrace])).not.toContain(SECRET);
      expect(JSON.stringify(capture.lines)).not.toContain(SECRET);
      configured = await startJsonReceiver(); // for afterEach
    });
  });

  describe('warehouse', () => {
    /** The refused job neither wrote the report nor moved the run towards delivery. */
    const expectNothingWrittenFor = async (runId: string) => {
      expect(await rows()).toEqual([]);
      // let the worker's failed-event handler run: a refused job must not fail the real run
      await new Promise((r) => setTimeout(r, 100));
      const run = await fx.runs.get(runId);
      expect(run?.reportId).toBeUndefined();
      expect(run?.stages.delivering).toBeUndefined();
      expect(run?.stages.delivered).toBeUndefined();
      expect(run?.stage).not.toBe('failed');
    };

    it('a report for a run that does not exist writes nothing and fails without retries', async () => {
      const { runId, report } = sampleReport();
      await queues.warehouse.add('write', { runId, report }, { jobId: report.reportId });
      const job = await finished(queues.warehouse, report.reportId);
      expect(await job.getState()).toBe('failed');
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toBe(`warehouse job refused: run ${runId} does not exist`);
      expect(await rows()).toEqual([]);
      expect(await fx.runs.get(runId)).toBeUndefined();
      expect(
        capture.lines.some((l) => l.msg.startsWith('warehouse job refused') && l.runId === runId),
      ).toBe(true);
    });

    it('a report whose id is not derived from its run writes nothing and fails without retries', async () => {
      const run = await sampleRun(fx.runs);
      const other = reportIdFor(runIdFor('elsewhere', '2023-10-27T14:30:00.000Z'));
      const forgedReport = { ...run.report, reportId: other };
      await queues.warehouse.add(
        'write',
        { runId: run.runId, report: forgedReport },
        { jobId: other },
      );
      const job = await finished(queues.warehouse, other);
      expect(await job.getState()).toBe('failed');
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toMatch(/^invalid warehouse job: report\.reportId: /);
      expect(await rows()).toEqual([]);
      await expectNothingWrittenFor(run.runId);
    });

    it("a report of another campaign than its run's writes nothing and fails without retries", async () => {
      const run = await sampleRun(fx.runs);
      const forgedReport = { ...run.report, campaignId: 'camp-someone-else' };
      await queues.warehouse.add(
        'write',
        { runId: run.runId, report: forgedReport },
        { jobId: 'x' },
      );
      const job = await finished(queues.warehouse, 'x');
      expect(await job.getState()).toBe('failed');
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toMatch(/is for campaign camp-someone-else/);
      expect(await rows()).toEqual([]);
      await expectNothingWrittenFor(run.runId);
    });
  });

  describe('schema-invalid job data fails at once (UnrecoverableError, no retries)', () => {
    it.each([
      [ANALYTICS_QUEUE, { runId: 'run-1', campaignId: 42 }, 'campaignId'],
      [WAREHOUSE_QUEUE, { runId: 'run-1', report: { reportId: 'rpt-1' } }, 'report.campaignId'],
      [NOTIFY_QUEUE, { target: { index: -1, hash: 'f'.repeat(16) } }, 'target.index'],
    ] as const)('%s', async (name, data, path) => {
      const queue = queues[name] as Queue;
      await queue.add('bad', data, { jobId: `bad-${name}` });
      const job = await finished(queue, `bad-${name}`);
      expect(await job.getState()).toBe('failed');
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason.startsWith(`invalid ${name} job: ${path}: `)).toBe(true);
      expect(configured.requests).toHaveLength(0);
    });
  });
});
