/**
 * Test support for the final re-check (FINAL_REPORT_AFTER), imported by tests only: the whole
 * pipeline (simulator over HTTP, Redis, PostgreSQL, a notify receiver) with the three queue
 * workers built from the processors directly, so the warehouse processor gets
 * `finalReportAfterMs` (the worker runtime passes config.finalReportAfterMs once wired), plus
 * helpers to replay a run and to add reprocessed data to a simulated campaign.
 */
import { Worker, type Processor } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RunStore, replayJobId } from '@wrapup/runs';
import type { SimConversation, Simulator } from '@wrapup/genesys-sim';
import {
  ANALYTICS_QUEUE,
  NOTIFY_QUEUE,
  WAREHOUSE_QUEUE,
  type AnalyticsJob,
  type Notification,
  type QueueName,
} from '@wrapup/shared';
import { createGenesysClient } from '../clients/genesys/client';
import { createInventory } from '../clients/inventory/inventory';
import { createNotifier } from '../clients/notify/notifier';
import { createWarehouseSink, type WarehouseSink } from '../clients/sinks/factory';
import { createAnalyticsProcessor } from '../processors/analytics';
import { createNotifyProcessor } from '../processors/notify';
import { createWarehouseProcessor } from '../processors/warehouse';
import { createQueues, redisConnection, type Queues } from '../queues';
import { startPipeline, type Pipeline } from './harness';

export interface FinalPipeline extends Pipeline {
  queues: Queues;
  sink: WarehouseSink;
  /** The notifications the receiver took (2xx), as sent. */
  notifications(): Notification[];
  /** What POST /admin/campaigns/:id/replay does (replayLatest): reopen the run, add its replay job. */
  replay(runId: string): Promise<string>;
}

/**
 * startPipeline without its worker runtime, then the analytics, warehouse and notify workers of
 * one process with `finalReportAfterMs`. Quick analytics (settle 300 ms, retries 150 ms).
 */
export async function startFinalPipeline(opts: {
  finalReportAfterMs: number;
  env?: Record<string, string>;
}): Promise<FinalPipeline> {
  const p = await startPipeline({ startWorker: false, env: opts.env ?? {} });
  const { config } = p;
  const logger = pino({ level: 'silent' });
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const runs = new RunStore(redis, {
    prefix: config.queuePrefix,
    dedupeTtlSeconds: 3600,
    retentionSeconds: 3600,
    startTtlSeconds: 3600,
  });
  const genesys = createGenesysClient({
    apiUrl: config.genesys.apiUrl,
    loginUrl: config.genesys.loginUrl,
    clientId: config.genesys.clientId ?? '',
    clientSecret: config.genesys.clientSecret ?? '',
    timeoutMs: config.genesys.timeoutMs,
    logger,
  });
  const inventory = createInventory(config.inventory, {
    genesys,
    timeoutMs: config.genesys.timeoutMs,
  });
  const sink = createWarehouseSink(config.warehouse, logger);
  await sink.init();
  const connection = redisConnection(config.redisUrl);
  const queues = createQueues(connection, config.queuePrefix, {
    analytics: { attempts: 3, backoff: { type: 'fixed', delay: 100 } },
    warehouse: { attempts: 3, backoff: { type: 'fixed', delay: 100 } },
    notify: { attempts: 3, backoff: { type: 'fixed', delay: 100 } },
  });
  const processors: [QueueName, Processor][] = [
    [
      ANALYTICS_QUEUE,
      createAnalyticsProcessor({
        genesys,
        inventory,
        runs,
        warehouseQueue: queues.warehouse,
        notifyQueue: queues.notify,
        notifyUrls: config.notifyUrls,
        analytics: config.analytics,
        logger,
      }),
    ],
    [
      WAREHOUSE_QUEUE,
      createWarehouseProcessor({
        sink,
        runs,
        queues,
        notifyUrls: config.notifyUrls,
        logger,
        redis,
        prefix: config.queuePrefix,
        finalReportAfterMs: opts.finalReportAfterMs,
      }),
    ],
    [
      NOTIFY_QUEUE,
      createNotifyProcessor({
        notifier: createNotifier({ timeoutMs: 2_000 }),
        logger,
        notifyUrls: config.notifyUrls,
        redis,
        prefix: config.queuePrefix,
      }),
    ],
  ];
  const workers = processors.map(
    ([name, processor]) =>
      new Worker(name, processor, { connection, prefix: config.queuePrefix, concurrency: 5 }),
  );
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  return {
    ...p,
    queues,
    sink,
    notifications: () => p.receiver.delivered() as Notification[],
    async replay(runId) {
      const run = await p.runs.get(runId);
      if (!run) throw new Error(`no run ${runId}`);
      const n = await p.runs.markReplay(runId);
      if (n === undefined) throw new Error(`run ${runId} vanished`);
      const jobId = replayJobId(runId, n);
      const job: AnalyticsJob = {
        runId,
        campaignId: run.campaignId,
        status: run.status,
        occurredAt: run.occurredAt,
        eventId: run.eventIds[0] ?? runId,
        shape: 'replay',
        receivedAt: new Date().toISOString(),
        ...(run.durationSeconds !== undefined && { durationSeconds: run.durationSeconds }),
        ...(run.contactCount !== undefined && { contactCount: run.contactCount }),
      };
      await p.analytics.add('run', job, {
        jobId,
        attempts: 3,
        backoff: { type: 'fixed', delay: 100 },
      });
      return jobId;
    },
    async close() {
      await Promise.allSettled(workers.map((w) => w.close()));
      await queues.close();
      await sink.close();
      await redis.quit().catch(() => redis.disconnect());
      await p.close();
    },
  };
}

/**
 * What Genesys's reprocessing does to a finished campaign, in the simulator's model (the worker
 * still reads it over HTTP): `extra` more dials, each a copy of a handled conversation of the
 * campaign (so inside the run's window, connected and handled, with its wrap-up code), and the
 * first handled conversation's after-call work `acwDeltaMs` longer. Returns the new true totals.
 */
export async function reprocess(
  sim: Simulator,
  campaignId: string,
  { extra = 0, acwDeltaMs = 0 }: { extra?: number; acwDeltaMs?: number },
) {
  const list = sim.state.conversations.get(campaignId) ?? [];
  const handled = list.filter((c) => c.handleMs !== undefined && c.acwMs !== undefined);
  const [first] = handled;
  if (!first) throw new Error(`campaign ${campaignId} has no handled conversation to reprocess`);
  if (acwDeltaMs !== 0) {
    first.acwMs = (first.acwMs ?? 0) + acwDeltaMs;
    first.handleMs = (first.handleMs ?? 0) + acwDeltaMs;
  }
  const copies: SimConversation[] = [];
  for (let i = 0; i < extra; i++) {
    const source = handled[i % handled.length] ?? first;
    copies.push({ ...source, conversationId: `${source.conversationId}-late-${i}` });
  }
  if (copies.length > 0) sim.state.addConversations(campaignId, copies);
  return sim.expected(campaignId);
}
