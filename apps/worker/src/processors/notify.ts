import { UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import * as v from 'valibot';
import { NOTIFY_QUEUE, NotifyJobSchema } from '@wrapup/shared';
import type { Notifier } from '../clients/notifier';
import { safeTarget } from '../clients/warehouse-http';
import { jobLogger, type Logger } from '../logger';
import { isFinalAttempt } from './warehouse';

export interface NotifyProcessorDeps {
  notifier: Notifier;
  logger: Logger;
  /** Where a sent notification is marked, so a re-run job (a stall, a lost lock) does not send it again. */
  redis: Redis;
  prefix: string;
}

/** How long a "sent" mark is kept: as long as finished notify jobs are. */
const SENT_TTL_SECONDS = 7 * 24 * 3600;
export const sentKey = (prefix: string, jobId: string) => `${prefix}:notify:sent:${jobId}`;

/**
 * The `notify` queue: one notification to one URL. A failure throws so BullMQ retries this URL
 * alone; nothing here reads or changes the run (a notifier never changes a run's outcome).
 * A job that runs again after it already got a 2xx (its worker died or lost its lock before the
 * job completed) finds the "sent" mark and does not notify twice; the remaining window is the few
 * milliseconds between the 2xx and the mark, which the Idempotency-Key header covers for
 * receivers that honour it.
 */
export function createNotifyProcessor(deps: NotifyProcessorDeps) {
  return async function processNotifyJob(job: Job): Promise<{ sent: true; event: string }> {
    const log = jobLogger(deps.logger, NOTIFY_QUEUE, job);
    const parsed = v.safeParse(NotifyJobSchema, job.data);
    if (!parsed.success) {
      const detail = parsed.issues
        .map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`)
        .join('; ');
      log.error({ detail }, 'invalid notify job; not retried');
      throw new UnrecoverableError(`invalid notify job: ${detail}`);
    }
    const { url, notification } = parsed.output;
    const target = safeTarget(url);
    const jobId = job.id ?? `${notification.runId}.${notification.event}`;
    const sent = sentKey(deps.prefix, jobId);
    if ((await deps.redis.exists(sent)) === 1) {
      log.info({ target, event: notification.event }, 'notification already sent; not sending again');
      return { sent: true, event: notification.event };
    }
    try {
      await deps.notifier.send(url, notification, jobId);
    } catch (err) {
      const level = isFinalAttempt(job) ? 'error' : 'warn';
      log[level](
        {
          target,
          event: notification.event,
          err: err instanceof Error ? err.message : String(err),
        },
        'notification failed',
      );
      throw err;
    }
    await deps.redis.set(sent, '1', 'EX', SENT_TTL_SECONDS);
    log.info({ target, event: notification.event }, 'notification sent');
    return { sent: true, event: notification.event };
  };
}
