/**
 * The floor for the pipeline: bare BullMQ workers on the three queue names, no-op processors that
 * only chain analytics -> warehouse -> notify (three jobs per run), with the catalog's job options.
 * Env: REDIS_URL, QUEUE_PREFIX, WORKER_CONCURRENCY.
 */
import { Queue, Worker, type JobsOptions } from 'bullmq';
import {
  ANALYTICS_QUEUE,
  NOTIFY_QUEUE,
  WAREHOUSE_QUEUE,
  notifyJobOptions,
  warehouseJobOptions,
} from '@wrapup/shared';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.QUEUE_PREFIX ?? 'wrapup';
const concurrency = Number(process.env.WORKER_CONCURRENCY ?? '10');
const connection = { url, maxRetriesPerRequest: null };

const warehouse = new Queue(WAREHOUSE_QUEUE, { connection, prefix });
const notify = new Queue(NOTIFY_QUEUE, { connection, prefix });

const workers = [
  new Worker(
    ANALYTICS_QUEUE,
    async (job) => {
      const data = job.data as { runId: string };
      await warehouse.add(
        'write',
        { runId: data.runId },
        { ...(warehouseJobOptions as JobsOptions), jobId: `rpt-${data.runId}` },
      );
    },
    { connection, prefix, concurrency },
  ),
  new Worker(
    WAREHOUSE_QUEUE,
    async (job) => {
      const data = job.data as { runId: string };
      await notify.add(
        'report.delivered',
        { runId: data.runId },
        { ...(notifyJobOptions as JobsOptions), jobId: `n-${data.runId}` },
      );
    },
    { connection, prefix, concurrency },
  ),
  new Worker(NOTIFY_QUEUE, () => Promise.resolve(), { connection, prefix, concurrency }),
];
for (const w of workers)
  w.on('error', (err) => process.stderr.write(`noop worker error: ${err.message}\n`));

const stop = () => {
  void Promise.allSettled([
    ...workers.map((w) => w.close()),
    warehouse.close(),
    notify.close(),
  ]).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
