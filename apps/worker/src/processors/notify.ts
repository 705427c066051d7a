import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { NOTIFY_QUEUE, NotifyJobSchema, notifyTargetHash, type NotifyTarget } from '@wrapup/shared';
import type { Notifier } from '../clients/notify/notifier';
import { safeTarget } from '../clients/http-client';
import { jobLogger, type Logger } from '../logger';
import { JobRefusedError, isFinalAttempt, parseJobData } from '../queues';

export interface NotifyProcessorDeps {
  notifier: Notifier;
  logger: Logger;
  /** This process's NOTIFY_URLS: the only URLs a notify job may send to. */
  notifyUrls: readonly string[];
  /** Where a sent notification is marked, so a re-run job (a stall, a lost lock) does not send it again. */
  redis: Redis;
  prefix: string;
}

/** How long a "sent" mark is kept: as long as finished notify jobs are. */
const SENT_TTL_SECONDS = 7 * 24 * 3600;
export const sentKey = (prefix: string, jobId: string) => `${prefix}:notify:sent:${jobId}`;

/**
 * The configured URL a job's target names: the entry at `index` when its hash matches, else (the
 * list changed since the job was made) the entry with that hash; undefined when none matches.
 */
export function resolveNotifyTarget(
  urls: readonly string[],
  target: NotifyTarget,
): string | undefined {
  const atIndex = urls[target.index];
  if (atIndex !== undefined && notifyTargetHash(atIndex) === target.hash) return atIndex;
  return urls.find((url) => notifyTargetHash(url) === target.hash);
}

/**
 * The `notify` queue: one notification to one configured URL. The job names the URL by position
 * and hash; a target this process does not have configured fails the job without sending (a
 * forged or stale job never reaches an arbitrary URL). A failed send throws so BullMQ retries this
 * URL alone; nothing here reads or changes the run (a notifier never changes a run's outcome).
 * A job that runs again after it already got a 2xx (its worker died or lost its lock before the
 * job completed) finds the "sent" mark and does not notify twice; the remaining window is the few
 * milliseconds between the 2xx and the mark, which the Idempotency-Key header covers for
 * receivers that honour it. Logs name the URL by index, hash and origin, never by the URL itself.
 */
export function createNotifyProcessor(deps: NotifyProcessorDeps) {
  return async function processNotifyJob(job: Job): Promise<{ sent: true; event: string }> {
    const log = jobLogger(deps.logger, NOTIFY_QUEUE, job);
    const { target, notification } = parseJobData(NotifyJobSchema, job, log);
    const { event } = notification;
    const jobId = job.id ?? `${notification.runId}.${event}.${target.hash}`;
    const sent = sentKey(deps.prefix, jobId);
    // Read on every start, the first included: the same job id can come back as a new job once
    // the finished one was removed (by count) while its mark still lives.
    if ((await deps.redis.exists(sent)) === 1) {
      log.info({ target, event }, 'notification already sent; not sending again');
      return { sent: true, event };
    }
    const url = resolveNotifyTarget(deps.notifyUrls, target);
    if (url === undefined) {
      log.error({ target, event }, 'notify target is not configured (any more); not sent');
      throw new JobRefusedError(
        `notify target ${target.index}/${target.hash} is no longer configured in NOTIFY_URLS`,
      );
    }
    const where = { target, origin: safeTarget(url), event };
    try {
      await deps.notifier.send(url, notification, jobId);
    } catch (err) {
      const level = isFinalAttempt(job) ? 'error' : 'warn';
      log[level](
        { ...where, err: err instanceof Error ? err.message : String(err) },
        'notification failed',
      );
      throw err;
    }
    await deps.redis.set(sent, '1', 'EX', SENT_TTL_SECONDS);
    log.info(where, 'notification sent');
    return { sent: true, event };
  };
}
