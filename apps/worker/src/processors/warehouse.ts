import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  WAREHOUSE_QUEUE,
  WarehouseJobSchema,
  type NotifyJob,
  type Report,
  type WarehouseJob,
} from '@wrapup/shared';
import type { RunStore } from '@wrapup/runs';
import type { WarehouseSink } from '../clients/sinks/sink';
import { jobLogger, type JobLog, type Logger } from '../logger';
import { buildNotification } from '../notifications';
import {
  JobRefusedError,
  WRITE_AFTER_DELIVERING,
  enqueueNotifications,
  isFinalAttempt,
  parseJobData,
} from '../queues';
import { KEPT_REPORT_TTL_SECONDS, keepReport, keptReportKey } from './warehouse-kept';

export interface WarehouseProcessorDeps {
  sink: WarehouseSink;
  runs: RunStore;
  queues: { notify: Queue<NotifyJob> };
  notifyUrls: readonly string[];
  logger: Logger;
  /** Where a report that exhausted its attempts is kept for replay (`${prefix}:runs:report:<runId>`). */
  redis: Redis;
  prefix: string;
  keptReportTtlSeconds?: number;
}

export interface WarehouseOutcome {
  runId: string;
  reportId: string;
  stage: 'delivered' | 'incomplete';
  notifications: number;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The run a job writes for must exist and the report must be its own: its id derived from the
 * runId (the schema checks that) and its campaign the run's. Otherwise the job is forged or
 * stale: it fails without retries and nothing is written or marked.
 */
async function requireOwnRun(deps: WarehouseProcessorDeps, job: WarehouseJob, log: JobLog) {
  const { runId, report } = job;
  const run = await deps.runs.get(runId);
  const problem =
    run === undefined
      ? `run ${runId} does not exist`
      : run.campaignId !== report.campaignId
        ? `report ${report.reportId} is for campaign ${report.campaignId}, run ${runId} for campaign ${run.campaignId}`
        : undefined;
  if (problem === undefined) return;
  log.error(
    { runId, reportId: report.reportId, campaignId: report.campaignId, problem },
    'warehouse job refused: not a report of a known run; nothing written, not retried',
  );
  throw new JobRefusedError(`warehouse job refused: ${problem}`);
}

/**
 * The `warehouse` queue: check the job is a report of a known run, write the report, and only
 * once the sink confirmed it mark the run delivered (or incomplete) and queue the notifications.
 * A failed write throws so BullMQ retries with backoff; the last failed attempt marks the run
 * failed, keeps the report and sends `report.failed`.
 */
export function createWarehouseProcessor(deps: WarehouseProcessorDeps) {
  return async function processWarehouseJob(job: Job): Promise<WarehouseOutcome> {
    const log = jobLogger(deps.logger, WAREHOUSE_QUEUE, job);
    const data = parseJobData(WarehouseJobSchema, job, log);
    await requireOwnRun(deps, data, log);
    const { runId, report } = data;

    // The analytics stage marked the run delivering (with the report id) just before it queued
    // this job; a retry, or a job queued another way, marks it here. When skipped, the time this
    // write started goes out with the final stage instead (one round trip fewer per run).
    const startedAt = Date.now();
    const firstWrite = job.name === WRITE_AFTER_DELIVERING && job.attemptsMade === 0;
    if (!firstWrite) await deps.runs.setStage(runId, 'delivering', { reportId: report.reportId });
    try {
      await deps.sink.write(report);
    } catch (err) {
      const lastError = messageOf(err);
      if (isFinalAttempt(job)) {
        log.error(
          { err: lastError },
          'warehouse write failed on the last attempt; run failed, report kept',
        );
        await recordFailure(deps, runId, report, lastError).catch((e: unknown) =>
          log.error({ err: messageOf(e) }, 'could not record the failed run'),
        );
      } else {
        log.warn({ err: lastError }, 'warehouse write failed; will retry');
        await deps.runs
          .setStage(runId, 'delivering', { lastError })
          .catch((e: unknown) =>
            log.warn({ err: messageOf(e) }, 'could not record the error on the run'),
          );
      }
      throw err;
    }

    const stage = report.dataComplete ? 'delivered' : 'incomplete';
    // One round trip: the stage (with when delivering started, on a first write) and the removal
    // of a report kept by an earlier failed attempt.
    await deps.runs.setStage(
      runId,
      firstWrite ? [{ stage: 'delivering', at: startedAt }, { stage }] : stage,
      {
        reportId: report.reportId,
        expectedCount: report.expectedCount,
        observedCount: report.observedCount,
        outcome: stage,
      },
      { deleteKeys: [keptReportKey(deps.prefix, runId)] },
    );
    const ids = await enqueueNotifications(
      deps.queues.notify,
      deps.notifyUrls,
      buildNotification({
        event: stage === 'delivered' ? 'report.delivered' : 'report.incomplete',
        runId,
        report,
      }),
    );
    log.info(
      { reportId: report.reportId, stage, notifications: ids.length },
      'report written and confirmed',
    );
    return { runId, reportId: report.reportId, stage, notifications: ids.length };
  };
}

/** The run is failed, its report kept for replay, and everyone told; the job itself stays in the failed set. */
async function recordFailure(
  deps: WarehouseProcessorDeps,
  runId: string,
  report: Report,
  lastError: string,
) {
  await keepReport(
    deps.redis,
    deps.prefix,
    runId,
    report,
    deps.keptReportTtlSeconds ?? KEPT_REPORT_TTL_SECONDS,
  );
  await deps.runs.setStage(runId, 'failed', {
    reportId: report.reportId,
    lastError,
    outcome: 'failed',
  });
  await enqueueNotifications(
    deps.queues.notify,
    deps.notifyUrls,
    buildNotification({ event: 'report.failed', runId, report, reason: lastError }),
  );
}
