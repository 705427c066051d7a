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

/** A worker on `queue` whose processor only adds the run's next job (`name`, jobId `idPrefix-<runId>`). */
const chain = (queue: string, next: Queue, name: string, opts: JobsOptions, idPrefix: string) =>
  new Worker(
    queue,
    async (job) => {
      const data = job.data as { runId: string };
      await next.add(name, { runId: data.runId }, { ...opts, jobId: `${idPrefix}-${data.runId}` });
    },
    { connection, prefix, concurrency },
  );

const workers = [
  chain(ANALYTICS_QUEUE, warehouse, 'write', warehouseJobOptions, 'rpt'),
  chain(WAREHOUSE_QUEUE, notify, 'report.delivered', notifyJobOptions, 'n'),
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
