import {
  Queue,
  UnrecoverableError,
  type ConnectionOptions,
  type Job,
  type JobsOptions,
} from 'bullmq';
import * as v from 'valibot';
import {
  ANALYTICS_QUEUE,
  NOTIFY_QUEUE,
  NotificationSchema,
  RECONCILE_QUEUE,
  WAREHOUSE_QUEUE,
  WarehouseJobSchema,
  analyticsJobOptions,
  formatIssues,
  notifyJobOptions,
  notifyTargetHash,
  reconcileJobOptions,
  warehouseJobOptions,
  type AnalyticsJob,
  type DefaultJobOptions,
  type Notification,
  type NotifyJob,
  type QueueName,
  type ReconcileJob,
  type WarehouseJob,
} from '@wrapup/shared';
import type { RedisTopology } from '@wrapup/runs';

/** Per-queue job option overrides (tests use small attempts/backoff; the catalog's are the default). */
export type JobOptionOverrides = Partial<Record<QueueName, DefaultJobOptions>>;

export interface Queues {
  analytics: Queue<AnalyticsJob>;
  warehouse: Queue<WarehouseJob>;
  notify: Queue<NotifyJob>;
  /** Reconciliation sweeps (the job scheduler's and the admin API's backfills). */
  reconcile: Queue<ReconcileJob>;
  prefix: string;
  close(): Promise<void>;
}

/** BullMQ connection options for a Redis URL; workers wait out Redis outages instead of failing commands. */
export const redisConnection = (redisUrl: string): ConnectionOptions => ({
  url: redisUrl,
  maxRetriesPerRequest: null,
});

/** BullMQ's connection for a topology, and how to close what was opened for it. */
export interface BullmqConnection {
  connection: ConnectionOptions;
  /** Closes the shared Cluster client (nothing to close for one Redis: BullMQ owns its own). */
  close(): Promise<void>;
}

/**
 * One Redis: options (each Queue and Worker opens and closes its own connection, as before).
 * A Redis Cluster: one Cluster client (maxRetriesPerRequest null in its redisOptions, as BullMQ
 * requires) shared by the queues and workers, each Worker duplicating it for its blocking
 * commands; BullMQ does not close a client it was given, so `close` does.
 */
export function bullmqConnection(topology: RedisTopology, redisUrl: string): BullmqConnection {
  if (topology.kind === 'single')
    return { connection: redisConnection(redisUrl), close: () => Promise.resolve() };
  const client = topology.connect('bullmq');
  return {
    connection: client,
    close: () =>
      client.quit().then(
        () => undefined,
        () => client.disconnect(),
      ),
  };
}

const CATALOG: Record<QueueName, DefaultJobOptions> = {
  analytics: analyticsJobOptions,
  warehouse: warehouseJobOptions,
  notify: notifyJobOptions,
  reconcile: reconcileJobOptions,
};

/** The catalog's job options for a queue with an override merged on top, as BullMQ takes them. */
export function jobOptionsFor(
  name: QueueName,
  overrides: JobOptionOverrides = {},
): DefaultJobOptions {
  return { ...CATALOG[name], ...overrides[name] };
}

/**
 * The producer queues under `prefix`, with the catalog's default job options. `prefix` is
 * QUEUE_PREFIX, or the key layout's prefix per queue (KeyLayout.queue: on a Redis Cluster each
 * queue is hash-tagged on its own slot); `Queues.prefix` is then the analytics queue's.
 */
export function createQueues(
  connection: ConnectionOptions,
  prefix: string | ((queue: QueueName) => string),
  overrides: JobOptionOverrides = {},
): Queues {
  const prefixOf = (name: QueueName) => (typeof prefix === 'string' ? prefix : prefix(name));
  const options = (name: QueueName) => ({
    connection,
    prefix: prefixOf(name),
    defaultJobOptions: jobOptionsFor(name, overrides),
  });
  const analytics = new Queue<AnalyticsJob>(ANALYTICS_QUEUE, options(ANALYTICS_QUEUE));
  const warehouse = new Queue<WarehouseJob>(WAREHOUSE_QUEUE, options(WAREHOUSE_QUEUE));
  const notify = new Queue<NotifyJob>(NOTIFY_QUEUE, options(NOTIFY_QUEUE));
  const reconcile = new Queue<ReconcileJob>(RECONCILE_QUEUE, options(RECONCILE_QUEUE));
  return {
    analytics,
    warehouse,
    notify,
    reconcile,
    prefix: prefixOf(ANALYTICS_QUEUE),
    async close() {
      await Promise.all([analytics.close(), warehouse.close(), notify.close(), reconcile.close()]);
    },
  };
}

/**
 * Once per run, event and URL: `${runId}.${event}.${notifyTargetHash(url)}`. The URL itself never
 * appears (Slack webhook URLs embed their token), nor ':' (BullMQ ids may not contain it).
 */
export const notifyJobId = (runId: string, event: string, url: string) =>
  `${runId}.${event}.${notifyTargetHash(url)}`;

/**
 * A job refused before it did anything: data that fails its schema, or a job that does not
 * belong to what it names (a report not of a known run, a notify target not configured). An
 * UnrecoverableError (BullMQ does not retry it, and its name stays `UnrecoverableError`); the
 * run a refused job names is not its to change, since anyone able to add a job can name any run.
 */
export class JobRefusedError extends UnrecoverableError {
  constructor(message: string) {
    super(message);
    this.name = 'UnrecoverableError';
  }
}

/** True on the attempt after which BullMQ will not retry (attemptsMade counts finished attempts). */
export const isFinalAttempt = (job: Pick<Job, 'attemptsMade' | 'opts'>) =>
  job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

/**
 * A job's data parsed with its queue's schema. Data that does not fit can never succeed, so it
 * fails the job at once (JobRefusedError, no retries), naming the first issue's path.
 */
export function parseJobData<S extends v.GenericSchema>(
  schema: S,
  job: Pick<Job, 'queueName' | 'data'>,
  log?: { error(obj: object, msg: string): void },
): v.InferOutput<S> {
  const parsed = v.safeParse(schema, job.data);
  if (parsed.success) return parsed.output;
  const message = `invalid ${job.queueName} job: ${formatIssues(parsed.issues, 1)}`;
  log?.error({ err: message }, 'invalid job data; failed without retries');
  throw new JobRefusedError(message);
}

/**
 * One notify job per URL, each retried on its own. The job names its URL by position and hash
 * (never the URL: job data shows in Bull Board); the worker sends only to a URL of its own
 * NOTIFY_URLS that matches. Deterministic job ids make a repeat (a retried warehouse job, a
 * redelivered event) a no-op while the first job is still kept. Returns the ids.
 */
export async function enqueueNotifications(
  // Any notify queue (typed or not): the notification is validated here before it is added.
  notifyQueue: Queue<NotifyJob> | Queue,
  urls: readonly string[],
  notification: Notification,
): Promise<string[]> {
  const checked = v.parse(NotificationSchema, notification);
  if (urls.length === 0) return [];
  const jobs = urls.map((url, index) => ({
    name: checked.event,
    data: { target: { index, hash: notifyTargetHash(url) }, notification: checked },
    opts: { jobId: notifyJobId(checked.runId, checked.event, url) },
  }));
  const [only] = jobs;
  // One URL (the usual case): a plain add is one script call instead of a MULTI around it.
  if (only !== undefined && jobs.length === 1)
    await notifyQueue.add(only.name, only.data, only.opts);
  else await notifyQueue.addBulk(jobs);
  return jobs.map((j) => j.opts.jobId);
}

/**
 * The name of a warehouse job added by the analytics stage, which marks the run `delivering` (with
 * the report id) right before adding it: the job's first attempt need not mark it again. Jobs
 * added any other way (`enqueueWarehouse`) are named `write` and mark the run themselves.
 */
export const WRITE_AFTER_DELIVERING = 'write:delivering';

/** Adds the write of one report; job id = reportId unless a replay passes its own. Returns the job id. */
export async function enqueueWarehouse(
  warehouseQueue: Queue<WarehouseJob>,
  job: WarehouseJob,
  opts: Pick<JobsOptions, 'jobId' | 'delay'> = {},
  name = 'write',
): Promise<string> {
  const checked = v.parse(WarehouseJobSchema, job);
  const jobId = opts.jobId ?? checked.report.reportId;
  await warehouseQueue.add(name, checked, { ...opts, jobId });
  return jobId;
}
