import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  ANALYTICS_QUEUE,
  NOTIFY_QUEUE,
  RECONCILE_QUEUE,
  WAREHOUSE_QUEUE,
  type QueueName,
} from '@wrapup/shared';

/**
 * The producer side of the queues: the ingest adds analytics jobs (webhooks) and reconcile jobs
 * (`POST /admin/reconcile`); the board shows them all.
 */
export interface IngestQueues {
  analytics: Queue;
  warehouse: Queue;
  notify: Queue;
  reconcile: Queue;
}

/**
 * `prefix`: QUEUE_PREFIX (one Redis), or the key layout's prefix per queue (a Redis Cluster: each
 * queue hash-tagged on its own slot, see KeyLayout in @wrapup/runs).
 */
export function createQueues(
  connection: Redis,
  prefix: string | ((queue: QueueName) => string),
  logger: Logger,
): IngestQueues {
  const make = (name: QueueName) => {
    const queue = new Queue(name, {
      connection,
      prefix: typeof prefix === 'string' ? prefix : prefix(name),
    });
    // BullMQ re-emits connection errors here; without a listener they would crash the process.
    queue.on('error', (err) => logger.debug({ queue: name, err }, 'queue connection error'));
    return queue;
  };
  return {
    analytics: make(ANALYTICS_QUEUE),
    warehouse: make(WAREHOUSE_QUEUE),
    notify: make(NOTIFY_QUEUE),
    reconcile: make(RECONCILE_QUEUE),
  };
}

export const queueList = (q: IngestQueues): Queue[] => [
  q.analytics,
  q.warehouse,
  q.notify,
  q.reconcile,
];

export async function closeQueues(q: IngestQueues): Promise<void> {
  await Promise.allSettled(queueList(q).map((queue) => queue.close()));
}
