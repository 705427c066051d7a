import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  WAREHOUSE_QUEUE,
  WarehouseJobSchema,
  finalCheckJobId,
  reportChanges,
  type AnalyticsJob,
  type NotifyJob,
  type Report,
  type WarehouseJob,
} from '@wrapup/shared';
import type { RunStore, StoredRun } from '@wrapup/runs';
import type { WarehouseSink } from '../clients/sinks/sink';
import type { ComplianceChecker } from '../compliance';
import { jobLogger, type JobLog, type Logger } from '../logger';
import { buildNotification, changeText } from '../notifications';
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
  /** `analytics` is where the final re-check is scheduled (needed when finalReportAfterMs > 0). */
  queues: { notify: Queue<NotifyJob>; analytics?: Queue<AnalyticsJob> };
  /**
   * FINAL_REPORT_AFTER: how long after a report is delivered its final re-check runs (a delayed
   * analytics job, phase `final`); 0 or absent: never.
   */
  finalReportAfterMs?: number;
  notifyUrls: readonly string[];
  logger: Logger;
  /** Where a report that exhausted its attempts is kept for replay (`${prefix}:runs:report:<runId>`). */
  redis: Redis;
  prefix: string;
  keptReportTtlSeconds?: number;
  /** Clock for the final re-check's due time (tests). Default Date.now. */
  now?: () => number;
  /**
   * The compliance check (apps/worker/src/compliance): adds the compliance abandon rate to the
   * report and archives the campaign's configuration before the write; `report.compliance` goes
   * out when the rate is over its limit. Absent: reports are written as they come.
   */
  compliance?: ComplianceChecker;
}

export interface WarehouseOutcome {
  runId: string;
  reportId: string;
  /** `final`: a final re-check's revision was written (the run's stage is not moved). */
  stage: 'delivered' | 'incomplete' | 'final';
  notifications: number;
  revision?: number;
  /** The row held a newer revision already: nothing was written. */
  superseded?: boolean;
  /** The id of the final re-check scheduled, if one was. */
  finalCheck?: string;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The run a job writes for must exist and the report must be its own: its id derived from the
 * runId (the schema checks that) and its campaign the run's. Otherwise the job is forged or
 * stale: it fails without retries and nothing is written or marked.
 */
async function requireOwnRun(
  deps: WarehouseProcessorDeps,
  job: WarehouseJob,
  log: JobLog,
): Promise<StoredRun> {
  const { runId, report } = job;
  const run = await deps.runs.get(runId);
  const problem =
    run === undefined
      ? `run ${runId} does not exist`
      : run.campaignId !== report.campaignId
        ? `report ${report.reportId} is for campaign ${report.campaignId}, run ${runId} for campaign ${run.campaignId}`
        : undefined;
  if (run !== undefined && problem === undefined) return run;
  log.error(
    { runId, reportId: report.reportId, campaignId: report.campaignId, problem },
    'warehouse job refused: not a report of a known run; nothing written, not retried',
  );
  throw new JobRefusedError(`warehouse job refused: ${problem}`);
}

/**
 * The `warehouse` queue: check the job is a report of a known run, write the report, and only
 * once the sink confirmed it mark the run delivered (or incomplete), schedule its final re-check
 * (FINAL_REPORT_AFTER) and queue the notifications. A failed write throws so BullMQ retries with
 * backoff; the last failed attempt marks the run failed, keeps the report and sends
 * `report.failed`. A final re-check's write (`revises`) goes its own way: see writeFinal.
 */
export function createWarehouseProcessor(deps: WarehouseProcessorDeps) {
  const now = deps.now ?? Date.now;
  return async function processWarehouseJob(job: Job): Promise<WarehouseOutcome> {
    const log = jobLogger(deps.logger, WAREHOUSE_QUEUE, job);
    const data = parseJobData(WarehouseJobSchema, job, log);
    const run = await requireOwnRun(deps, data, log);
    if (data.revises !== undefined) return writeFinal(deps, job, data, data.revises, log, now);
    const { runId } = data;

    // The analytics stage marked the run delivering (with the report id) just before it queued
    // this job; a retry, or a job queued another way, marks it here. When skipped, the time this
    // write started goes out with the final stage instead (one round trip fewer per run).
    const startedAt = Date.now();
    const firstWrite = job.name === WRITE_AFTER_DELIVERING && job.attemptsMade === 0;
    if (!firstWrite)
      await deps.runs.setStage(runId, 'delivering', { reportId: data.report.reportId });
    // the compliance figures and the configuration archive come before the write, so the row
    // only ever names a configuration the warehouse holds
    const report = await withCompliance(deps, job, data.report, log);
    let written: Awaited<ReturnType<WarehouseSink['write']>>;
    try {
      written = await deps.sink.write(report);
    } catch (err) {
      const lastError = messageOf(err);
      if (isFinalAttempt(job)) {
        log.error(
          { err: lastError },
          'warehouse write failed on the last attempt; run failed, report kept',
        );
        await recordFailure(deps, runId, report, lastError).catch((e: unknown) =>
          log.error({ err: e }, 'could not record the failed run'),
        );
      } else {
        log.warn({ err: lastError }, 'warehouse write failed; will retry');
        await deps.runs
          .setStage(runId, 'delivering', { lastError })
          .catch((e: unknown) => log.warn({ err: e }, 'could not record the error on the run'));
      }
      throw err;
    }

    const revision = report.revision ?? 1;
    const stage = report.dataComplete ? 'delivered' : 'incomplete';
    // A newer revision in the row (a replay racing the final re-check): the run is reported all
    // the same, but this older report is neither announced nor re-checked.
    const superseded = written.superseded;
    if (superseded)
      log.warn(
        { reportId: report.reportId, revision, stored: superseded },
        'the warehouse holds a newer revision of this report; left as it is',
      );
    // Scheduled before the run is marked, so the trail never shows a check that is not queued.
    const final = superseded ? undefined : await scheduleFinalCheck(deps, run, report, now);
    // One round trip: the stage (with when delivering started, on a first write), the removal
    // of a report kept by an earlier failed attempt and, unless superseded, the copy of the
    // report the reports console reads (kept with the run, its headline on it).
    await deps.runs.setStage(
      runId,
      firstWrite ? [{ stage: 'delivering', at: startedAt }, { stage }] : stage,
      {
        reportId: report.reportId,
        expectedCount: report.expectedCount,
        observedCount: report.observedCount,
        outcome: stage,
        revision: superseded?.revision ?? revision,
        // the row holds a final revision already (the re-check got there first): say so, so a
        // later replay writes the next revision final too, never one the guard refuses forever
        ...(superseded?.final && { finalizedAt: new Date(now()).toISOString() }),
        ...(final && { finalDueAt: final.dueAt }),
      },
      { deleteKeys: [keptReportKey(deps.prefix, runId)], ...(!superseded && { report }) },
    );
    const ids = superseded
      ? []
      : await enqueueNotifications(
          deps.queues.notify,
          deps.notifyUrls,
          buildNotification({
            event: stage === 'delivered' ? 'report.delivered' : 'report.incomplete',
            runId,
            report,
          }),
        );
    // over the compliance limit: its own notification, once per run (deterministic job id)
    if (!superseded && report.compliance?.over)
      ids.push(
        ...(await enqueueNotifications(
          deps.queues.notify,
          deps.notifyUrls,
          buildNotification({ event: 'report.compliance', runId, report }),
        )),
      );
    log.info(
      { reportId: report.reportId, stage, revision, notifications: ids.length, finalCheck: final },
      'report written and confirmed',
    );
    return {
      runId,
      reportId: report.reportId,
      stage,
      notifications: ids.length,
      revision,
      ...(superseded && { superseded: true }),
      ...(final && { finalCheck: final.jobId }),
    };
  };
}

/**
 * Schedules the final re-check of a delivered report: a delayed analytics job (phase `final`)
 * carrying the report, id finalCheckJobId(runId, revision), so a retried or re-run warehouse job
 * adds nothing (BullMQ ignores an id it holds). Due FINAL_REPORT_AFTER after the run's first
 * delivery: a replay's revision keeps the due time the run already has (`finalDueAt`), so a
 * replay never postpones the re-check (past due: at once). Nothing when FINAL_REPORT_AFTER is 0,
 * when the report is final already (a replay after the re-check), or without an analytics queue.
 */
async function scheduleFinalCheck(
  deps: WarehouseProcessorDeps,
  run: StoredRun,
  report: Report,
  now: () => number,
): Promise<{ jobId: string; dueAt: string } | undefined> {
  const afterMs = deps.finalReportAfterMs ?? 0;
  const analytics = deps.queues.analytics;
  if (!(afterMs > 0) || report.final === true || analytics === undefined) return undefined;
  const at = now();
  const known = run.finalDueAt === undefined ? NaN : Date.parse(run.finalDueAt);
  const dueMs = Number.isFinite(known) ? known : at + afterMs;
  const jobId = finalCheckJobId(run.runId, report.revision ?? 1);
  const shape = isShape(run.shape) ? run.shape : 'guide';
  const data: AnalyticsJob = {
    runId: run.runId,
    campaignId: report.campaignId,
    status: report.metrics.status,
    occurredAt: report.completionTimestamp,
    eventId: run.eventIds[run.eventIds.length - 1] ?? report.reportId,
    shape,
    receivedAt: new Date(at).toISOString(),
    phase: 'final',
    delivered: report,
  };
  await analytics.add('final', data, { jobId, delay: Math.max(0, dueMs - at) });
  return { jobId, dueAt: new Date(dueMs).toISOString() };
}

const SHAPES = ['guide', 'eventbridge', 'notification', 'replay'] as const;
const isShape = (s: string | undefined): s is AnalyticsJob['shape'] =>
  SHAPES.includes(s as AnalyticsJob['shape']);

/**
 * The write of a final re-check's revision (`revises`: the revision it re-checked). The run is
 * not moved (it is delivered already): once the sink confirmed, its revision, `finalizedAt` and
 * `finalOutcome` are recorded on it, and `report.revised` goes out only when a figure differs
 * (saying which and by how much); otherwise the row is marked final silently. A write the row's
 * newer revision supersedes (a replay got there first) changes and announces nothing. A write
 * that fails for good records `finalOutcome: failed: ...` on the run and leaves the delivered
 * row (provisional) as it is.
 */
async function writeFinal(
  deps: WarehouseProcessorDeps,
  job: Job,
  data: WarehouseJob,
  previous: Report,
  log: JobLog,
  now: () => number,
): Promise<WarehouseOutcome> {
  const { runId } = data;
  // same configuration and rule as the revision re-checked; the rate from the final figures
  const report = await withCompliance(deps, job, data.report, log, previous);
  const revision = report.revision ?? 1;
  let written: Awaited<ReturnType<WarehouseSink['write']>>;
  try {
    written = await deps.sink.write(report);
  } catch (err) {
    const lastError = messageOf(err);
    const last = isFinalAttempt(job);
    log[last ? 'error' : 'warn'](
      { err: lastError, revision },
      last
        ? 'final revision could not be written; the delivered row stays provisional'
        : 'final revision write failed; will retry',
    );
    if (last)
      await deps.runs
        .annotateReported(runId, { finalOutcome: `failed: ${lastError}` })
        .catch((e: unknown) => log.error({ err: e }, 'could not record the failed final revision'));
    throw err;
  }
  const base = { runId, reportId: report.reportId, stage: 'final' as const, revision };
  if (written.superseded) {
    log.info(
      { reportId: report.reportId, revision, stored: written.superseded },
      'final revision superseded by a newer one in the warehouse; nothing written',
    );
    await deps.runs.annotateReported(runId, { finalOutcome: 'superseded' });
    return { ...base, notifications: 0, superseded: true };
  }
  const changes = reportChanges(previous, report);
  const finalOutcome =
    changes.length === 0 ? 'unchanged' : `revised: ${changes.map(changeText).join(', ')}`;
  const recorded = await deps.runs.annotateReported(
    runId,
    { revision, finalizedAt: new Date(now()).toISOString(), finalOutcome },
    // the console shows the final revision (kept with the run like the first)
    { report },
  );
  if (!recorded)
    log.warn({ runId, revision }, 'run record gone; final revision not recorded on it');
  const ids: string[] =
    changes.length === 0
      ? []
      : await enqueueNotifications(
          deps.queues.notify,
          deps.notifyUrls,
          buildNotification({
            event: 'report.revised',
            runId,
            report,
            changes,
            previousRevision: previous.revision ?? 1,
          }),
        );
  // flagged again only when the final figures newly cross the limit (a run flagged by its first
  // report is not flagged twice; the job id is the run's either way)
  if (report.compliance?.over && previous.compliance?.over !== true)
    ids.push(
      ...(await enqueueNotifications(
        deps.queues.notify,
        deps.notifyUrls,
        buildNotification({ event: 'report.compliance', runId, report }),
      )),
    );
  log.info(
    { reportId: report.reportId, revision, changes: changes.length, notifications: ids.length },
    changes.length === 0
      ? 'final revision written: nothing changed'
      : 'final revision written: revised',
  );
  return { ...base, notifications: ids.length };
}

/** Attempts of a warehouse job that wait for the compliance check before writing without it. */
export const COMPLIANCE_ATTEMPTS = 3;

/**
 * The report with its compliance figures, its configuration archived first. When Genesys or the
 * archive fails, the job retries (COMPLIANCE_ATTEMPTS attempts in all); after that, or at once for
 * an error no retry can fix (a 403: the OAuth client may not read outbound settings), the report
 * is written without them: a compliance lookup never holds a report back for long.
 */
async function withCompliance(
  deps: WarehouseProcessorDeps,
  job: Job,
  report: Report,
  log: JobLog,
  previous?: Report,
): Promise<Report> {
  const checker = deps.compliance;
  if (checker === undefined) return report;
  try {
    const assessed = await checker.assess(report, previous ? { previous } : {});
    if (assessed.archive !== undefined) await checker.archive(deps.sink, assessed.archive);
    return assessed.report;
  } catch (err) {
    const retryable = !(
      typeof err === 'object' &&
      err !== null &&
      'retryable' in err &&
      err.retryable === false
    );
    if (retryable && job.attemptsMade + 1 < COMPLIANCE_ATTEMPTS && !isFinalAttempt(job)) {
      log.warn({ err }, 'compliance check failed; will retry before writing');
      throw err;
    }
    log.error(
      { err, reportId: report.reportId },
      'compliance check failed; the report is written without its compliance figures',
    );
    return report;
  }
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
