import { UnrecoverableError, type Job } from 'bullmq';
import * as v from 'valibot';
import { NOTIFY_QUEUE, NotifyJobSchema } from '@wrapup/shared';
import type { Notifier } from '../clients/notifier';
import { safeTarget } from '../clients/warehouse-http';
import { jobLogger, type Logger } from '../logger';
import { isFinalAttempt } from './warehouse';

export interface NotifyProcessorDeps {
  notifier: Notifier;
  logger: Logger;
}

/**
 * The `notify` queue: one notification to one URL. A failure throws so BullMQ retries this URL
 * alone; nothing here reads or changes the run (a notifier never changes a run's outcome).
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
    try {
      await deps.notifier.send(url, notification);
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
    log.info({ target, event: notification.event }, 'notification sent');
    return { sent: true, event: notification.event };
  };
}
