import { createLogger as createServiceLogger, type LogLevel, type Logger } from '@wrapup/shared';

export type { Logger } from '@wrapup/shared';

/** A worker logger from the shared factory (`service: worker`), e.g. `silent` in tests. */
export function createLogger(opts: { level?: LogLevel } = {}): Logger {
  return createServiceLogger({ service: 'worker', level: opts.level ?? 'info' });
}

/** What a job logger needs from a BullMQ job (kept structural so tests and processors share it). */
export interface JobLike {
  id?: string | undefined;
  attemptsMade: number;
  data: unknown;
}

/** Finds the campaign (and run) a job is about, whatever the queue's payload shape. */
function subjectOf(data: unknown): { campaignId?: string; runId?: string } {
  if (typeof data !== 'object' || data === null) return {};
  const d = data as Record<string, unknown>;
  const nested = (key: string) => {
    const value = d[key];
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  };
  const pick = (...candidates: unknown[]) =>
    candidates.find((c): c is string => typeof c === 'string');
  return {
    campaignId: pick(d.campaignId, nested('report').campaignId, nested('notification').campaignId),
    runId: pick(d.runId, nested('notification').runId),
  };
}

/** What a job's code logs through: the levels it uses, one object and a message per line. */
export interface JobLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * A child logger whose bindings are built (and serialized by pino) only when a line at an enabled
 * level is written: a job that logs nothing at the configured level costs nothing.
 */
export function lazyChild(root: Logger, bindings: () => Record<string, unknown>): JobLog {
  let child: Logger | undefined;
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (obj: object, msg: string): void => {
      if (!root.isLevelEnabled(level)) return;
      child ??= root.child(bindings());
      child[level](obj, msg);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A child logger per job: queue, jobId, campaignId, runId, attempt (1-based). */
export function jobLogger(root: Logger, queue: string, job: JobLike): JobLog {
  return lazyChild(root, () => {
    const { campaignId, runId } = subjectOf(job.data);
    return { queue, jobId: job.id, campaignId, runId, attempt: job.attemptsMade + 1 };
  });
}
