import { DelayedError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import {
  AnalyticsJobSchema,
  analyticsInterval,
  buildReport,
  countsFingerprint,
  finalWriteJobId,
  reportIdFor,
  type AnalyticsCounts,
  type AnalyticsJob,
  type Completeness,
  type Config,
  type HourlyPoint,
  type Notification,
  type WarehouseJob,
} from '@wrapup/shared';
import type { RunStore, StagePatch, StageStep } from '@wrapup/runs';
import { alignInterval, batchable } from '../batch/plan';
import { isGenesysError } from '../clients/genesys/errors';
import { SHUTDOWN_CODE } from '../clients/genesys/http';
import { lazyChild, type JobLog } from '../logger';
import { buildNotification } from '../notifications';
import {
  WRITE_AFTER_DELIVERING,
  enqueueNotifications,
  enqueueWarehouse,
  isFinalAttempt,
  parseJobData,
} from '../queues';

/** What the analytics stage needs from Genesys (the real client satisfies it). */
export interface AnalyticsGenesys {
  getCampaign(id: string): Promise<
    | {
        id: string;
        name?: string;
        campaignStatus?: string | undefined;
        alwaysRunning?: boolean | undefined;
        dialingMode?: string | undefined;
      }
    | undefined
  >;
  getCampaignProgress(id: string): Promise<{ numberOfContactsCalled?: number | undefined }>;
  /** `hourly`: per UTC hour of the window, when the answer had buckets that fit the hours. */
  campaignAnalytics(a: {
    campaignId: string;
    interval: string;
  }): Promise<{ counts: AnalyticsCounts; hourly?: HourlyPoint[] | undefined }>;
}

type CampaignView = NonNullable<Awaited<ReturnType<AnalyticsGenesys['getCampaign']>>>;

export interface AnalyticsInventory {
  /** `campaign` is there when the check itself asked Genesys (saves a second call). */
  check(
    campaignId: string,
  ): Promise<
    { known: true; campaign?: CampaignView | undefined } | { known: false; reason: string }
  >;
}

export interface AnalyticsDeps {
  genesys: AnalyticsGenesys;
  inventory: AnalyticsInventory;
  runs: RunStore;
  warehouseQueue: Queue<WarehouseJob>;
  notifyQueue: Queue;
  notifyUrls: string[];
  analytics: Config['analytics'];
  logger: Logger;
  now?: () => Date;
  /** The worker's shutdown signal (the Genesys client's too): a call it stops returns the job. */
  shutdown?: AbortSignal | undefined;
  /**
   * Keeps the campaign the run's validation looked up for the compliance step of its report
   * (compliance `remember`): the same object is not asked for twice. Best effort.
   */
  rememberCampaign?: ((campaign: unknown) => Promise<void>) | undefined;
  /**
   * ANALYTICS_BATCH: `genesys` answers through the batch. Each run's query interval is then
   * widened to whole minutes (start floored, end ceiled, at most a minute each side; where that
   * is safe, see `alignWindow`), so runs whose windows differ can share one query with a
   * granularity (batch/plan.ts); the report's `interval` is the interval counted, its `window`
   * keeps the run's own edges and their reasons. And a run's progress is asked together with its
   * campaign lookup (see validateCampaign): in a batch the bulk call costs nothing per campaign.
   */
  batched?: boolean;
}

/**
 * The query interval widened to whole minutes (see `AnalyticsDeps.batched`), only where the
 * widening cannot take in another run's calls: the start has a QUERY_BUFFER_MINUTES pad of at
 * least a minute, the end is not cut at a resume, and the widened end does not pass a later resume
 * either. Otherwise the exact interval is queried (it still shares a query with runs whose interval
 * is the same, or whose edges a whole-minute granularity divides).
 */
function alignWindow<W extends { interval: string; endFrom: string }>(
  window: W,
  bufferMinutes: number,
  occurredAt: string,
  resumedAt: string | undefined,
): W {
  if (bufferMinutes < 1 || window.endFrom === 'resumed' || !batchable(window.interval))
    return window;
  const interval = alignInterval(window.interval);
  const end = Date.parse(interval.split('/')[1] ?? '');
  const resumed = resumedAt === undefined ? Number.NaN : Date.parse(resumedAt);
  if (resumed > Date.parse(occurredAt) && resumed < end) return window;
  return { ...window, interval };
}

/** How soon a job handed back at shutdown may be taken by another worker. */
const HAND_BACK_DELAY_MS = 100;

export type AnalyticsOutcome =
  | { outcome: 'rejected'; reason: string }
  /** A final re-check queued its revision's write. */
  | { outcome: 'finalized'; reportId: string; revision: number }
  /** A final re-check with nothing to do (the run moved on or is gone). */
  | { outcome: 'skipped'; reason: string }
  | {
      outcome: 'reported';
      reportId: string;
      complete: boolean;
      observed: number;
      expected: number | null;
    };

type Progress = NonNullable<AnalyticsJob['progress']>;

/**
 * Whether the campaign still shows the run's finish: `complete` for a completed run; `off`,
 * `forced_off` or on the way there for a stopped one. Unknown (missing) counts as still there.
 */
function stillInStatus(
  campaignStatus: string | undefined,
  status: 'completed' | 'stopped',
): boolean {
  if (campaignStatus === undefined) return true;
  const s = campaignStatus;
  return status === 'completed'
    ? s === 'complete'
    : s === 'off' || s === 'forced_off' || s === 'stopping' || s === 'forced_stopping';
}

/**
 * Stages this execution reached but has not written yet, with their times: they go to Redis with
 * the next stage write (one round trip instead of one per stage). `validating` is recorded when it
 * starts and written together with `waiting_for_analytics` (or `rejected`, or the error), so the
 * trail keeps both times while the validation costs no write of its own.
 */
interface Trail {
  steps: StageStep[];
}

/**
 * The `analytics` queue: validate the campaign once, then check the aggregates until the
 * completeness rule holds (see `judge`), waiting between checks with moveToDelayed (no attempt
 * spent, no slot held). When the wait runs out the report is written as incomplete, never as a
 * failure.
 */
export function createAnalyticsProcessor(deps: AnalyticsDeps) {
  const now = deps.now ?? (() => new Date());

  return async function processAnalytics(job: Job, token?: string): Promise<AnalyticsOutcome> {
    // Data that does not fit the schema can never succeed: UnrecoverableError, no retries.
    const data = parseJobData(AnalyticsJobSchema, job, deps.logger);
    const log = lazyChild(deps.logger, () => ({
      queue: job.queueName,
      jobId: job.id,
      runId: data.runId,
      campaignId: data.campaignId,
      attempt: job.attemptsMade + 1,
    }));
    const trail: Trail = { steps: [] };
    // A final re-check never moves the run (it is delivered): no stage writes, its own failure.
    const finalPhase = data.phase === 'final';
    try {
      return finalPhase ? await finalCheck(data, log) : await step(job, data, log, trail, token);
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      // Shutting down stopped a Genesys call before it was sent (waiting for a limiter slot): hand
      // the job back as it is, without spending an attempt, and release its lock now instead of
      // leaving it to stall. Its data (and progress) is unchanged, so the next worker resumes it.
      if (deps.shutdown?.aborted && isGenesysError(err) && err.code === SHUTDOWN_CODE) {
        log.info({ err }, 'shutting down: analytics job handed back');
        await job.moveToDelayed(Date.now() + HAND_BACK_DELAY_MS, token);
        throw new DelayedError();
      }
      // A Genesys answer no retry can change (400, 403, 401 after a fresh token, 404) fails now.
      const hopeless = isGenesysError(err) && !err.retryable;
      const final = err instanceof UnrecoverableError || hopeless || isFinalAttempt(job);
      const message = err instanceof Error ? err.message : String(err);
      log.warn({ err: message, final }, 'analytics attempt failed');
      if (final && finalPhase) await failFinal(data, message);
      else if (final) await fail(data, message, trail);
      else if (!finalPhase) {
        const stage = data.progress ? 'waiting_for_analytics' : 'validating';
        await writeStage(data.runId, trail, stage, { lastError: message });
      }
      throw hopeless ? new UnrecoverableError(message) : err;
    }
  };

  async function step(
    job: Job,
    data: AnalyticsJob,
    log: JobLog,
    trail: Trail,
    token?: string,
  ): Promise<AnalyticsOutcome> {
    const checkAt = now();
    let progress: Progress | undefined = data.progress;

    if (!progress) {
      trail.steps.push({ stage: 'validating', at: Date.now() });
      const verdict = await validate(data);
      if (verdict.kind === 'rejected') {
        log.info({ reason: verdict.reason }, 'campaign rejected');
        await writeStage(data.runId, trail, 'rejected', { outcome: verdict.reason });
        await notify(
          buildNotification({
            event: 'campaign.rejected',
            runId: data.runId,
            campaignId: data.campaignId,
            reason: verdict.reason,
          }),
        );
        return { outcome: 'rejected', reason: verdict.reason };
      }
      progress = {
        firstCheckAt: checkAt.toISOString(),
        checks: 0,
        expectedCount: verdict.expectedCount,
        expectedFrom: verdict.expectedFrom,
        requireHandled: verdict.requireHandled,
        lastObserved: 0,
        ...(verdict.campaignName !== undefined && { campaignName: verdict.campaignName }),
      };
      await writeStage(data.runId, trail, 'waiting_for_analytics', {
        expectedCount: verdict.expectedCount,
      });
    }

    // The run's window: from its first start (across pauses) to a tail past the finish, so the
    // last calls' after-call work is in, but never past a later resume (the next report's dials).
    // At most MAX_WINDOW_DAYS long (an earlier start is clamped). Input no interval can come from
    // (a time past 9999, a non-finite number) fails the run at once: retrying cannot change it.
    const state = await deps.runs.campaignState(data.campaignId);
    let window: ReturnType<typeof analyticsInterval>;
    try {
      window = analyticsInterval({
        occurredAt: data.occurredAt,
        durationSeconds: data.durationSeconds,
        startedAt: data.startedAt,
        bufferMinutes: deps.analytics.queryBufferMinutes,
        defaultLookbackHours: deps.analytics.defaultLookbackHours,
        tailMinutes: deps.analytics.tailMinutes,
        resumedAt: state.lastOn,
        maxWindowDays: deps.analytics.maxWindowDays,
      });
    } catch (err) {
      if (err instanceof RangeError)
        throw new UnrecoverableError(`no analytics interval can be built: ${err.message}`);
      throw err;
    }
    if (deps.batched)
      window = alignWindow(
        window,
        deps.analytics.queryBufferMinutes,
        data.occurredAt,
        state.lastOn,
      );
    const { interval } = window;
    const { counts, hourly } = await deps.genesys.campaignAnalytics({
      campaignId: data.campaignId,
      interval,
    });
    const expected = progress.expectedCount;
    const waitedMs = checkAt.getTime() - Date.parse(progress.firstCheckAt);
    const checks = progress.checks + 1;
    // A window cut at a resume splits the calls in progress at the cut: their handle time may
    // post after it, so "every connected call handled" cannot hold; the settle rule decides.
    const judged = judge(counts, progress, checks, checkAt, window.endFrom === 'resumed');
    const { complete } = judged;

    if (!complete && waitedMs < deps.analytics.maxWaitMs) {
      let delay = Math.min(
        deps.analytics.retryDelayMs * deps.analytics.backoffFactor ** (checks - 1),
        deps.analytics.maxWaitMs - waitedMs,
      );
      // Only the settle time is missing: come back exactly when it has passed.
      if (judged.onlySettling)
        delay = Math.min(delay, deps.analytics.settleMs - judged.completeness.stableForMs);
      log.info(
        {
          observed: counts.attempted,
          expected,
          delayMs: delay,
          checks,
          completeness: judged.completeness,
        },
        'analytics not complete yet, waiting',
      );
      // independent writes: the job's own progress and the run trail
      await Promise.all([
        job.updateData({
          ...data,
          progress: {
            ...progress,
            checks,
            lastObserved: counts.attempted,
            fingerprint: judged.fingerprint,
            stableSince: judged.stableSince,
          },
        }),
        writeStage(data.runId, trail, 'waiting_for_analytics', {
          expectedCount: expected,
          observedCount: counts.attempted,
        }),
      ]);
      await job.moveToDelayed(Date.now() + Math.max(10, Math.round(delay)), token);
      throw new DelayedError();
    }

    // The run's own job writes revision 1 (a re-run of it rewrites the same revision, or is
    // superseded in the warehouse by a later one). A replay writes the run's next revision (the
    // row never goes back to a lower one), final when the final re-check already ran (a final row
    // never turns provisional).
    const replay = job.id !== data.runId;
    const run = replay ? await deps.runs.get(data.runId) : undefined;
    const report = buildReport({
      runId: data.runId,
      campaignId: data.campaignId,
      status: data.status,
      occurredAt: data.occurredAt,
      counts,
      expectedCount: expected,
      waitedMs,
      interval,
      complete,
      generatedAt: checkAt.toISOString(),
      completeness: { ...judged.completeness, verdict: complete ? 'settled' : 'max-wait' },
      window: {
        start: window.start,
        end: window.end,
        startFrom: window.startFrom,
        endFrom: window.endFrom,
      },
      revision: (run?.revision ?? 0) + 1,
      final: run?.finalizedAt !== undefined,
      campaignName: progress.campaignName,
      hourly,
    });
    // The stage first: once the warehouse job exists it may finish (and mark the run delivered)
    // before this line would run.
    await writeStage(data.runId, trail, 'delivering', {
      reportId: report.reportId,
      expectedCount: expected,
      observedCount: counts.attempted,
    });
    const payload: WarehouseJob = { runId: data.runId, report };
    // The first run's write is keyed by the report id (a re-run job is a no-op); a replay gets a
    // job of its own so it really writes again (the upsert keeps it one row).
    const jobId = job.id === data.runId ? report.reportId : `${report.reportId}-${job.id}`;
    await enqueueWarehouse(deps.warehouseQueue, payload, { jobId }, WRITE_AFTER_DELIVERING);
    log.info(
      { reportId: report.reportId, complete, observed: counts.attempted, expected, waitedMs },
      'report built',
    );
    return {
      outcome: 'reported',
      reportId: report.reportId,
      complete,
      observed: counts.attempted,
      expected,
    };
  }

  /**
   * The final re-check (phase `final`, FINAL_REPORT_AFTER after the delivery): the same query over
   * the delivered report's own interval, once, without the completeness wait (the data is old);
   * the report keeps its reportId, window, expected count and wait, and becomes revision + 1,
   * final, its completeness verdict `final-recheck` with the conditions as found and the revision
   * it re-checked. Its write (a warehouse job with `revises`) records the revision on the run and
   * notifies only when a figure changed. Skipped when the run moved on: a later revision was
   * delivered (a replay, which has its own check), or a replay is under way (its delivery
   * schedules the check again), or the run record is gone (RUN_RETENTION_HOURS).
   */
  async function finalCheck(data: AnalyticsJob, log: JobLog): Promise<AnalyticsOutcome> {
    const delivered = data.delivered;
    if (delivered === undefined)
      throw new UnrecoverableError('a final re-check job must carry the delivered report');
    if (delivered.reportId !== reportIdFor(data.runId) || delivered.campaignId !== data.campaignId)
      throw new UnrecoverableError("the delivered report of a final re-check is not its run's");
    const previousRevision = delivered.revision ?? 1;
    const run = await deps.runs.get(data.runId);
    const skip = (reason: string): AnalyticsOutcome => {
      log.info({ reason, revision: previousRevision }, 'final re-check skipped');
      return { outcome: 'skipped', reason };
    };
    if (!run) return skip('the run record is gone (RUN_RETENTION_HOURS)');
    if ((run.revision ?? 1) > previousRevision)
      return skip(`revision ${run.revision} was delivered since (a replay)`);
    if (run.stage !== 'delivered' && run.stage !== 'incomplete')
      return skip(`the run is ${run.stage} (a replay is under way)`);

    const checkAt = now();
    const { counts, hourly } = await deps.genesys.campaignAnalytics({
      campaignId: data.campaignId,
      interval: delivered.interval,
    });
    const rule = delivered.completeness?.rule ?? {
      settleMs: deps.analytics.settleMs,
      requireHandled: deps.analytics.requireHandled,
    };
    const expected = delivered.expectedCount;
    const attemptsReachedContacts =
      expected === null ? counts.attempted > 0 : counts.attempted >= expected;
    const allConnectedHandled = counts.handleCount + counts.abandoned >= counts.connected;
    const previousVerdict = delivered.completeness?.verdict;
    const revision = previousRevision + 1;
    const report = buildReport({
      runId: data.runId,
      campaignId: data.campaignId,
      status: delivered.metrics.status,
      occurredAt: delivered.completionTimestamp,
      counts,
      expectedCount: expected,
      waitedMs: delivered.waitedMs,
      interval: delivered.interval,
      complete: attemptsReachedContacts && (allConnectedHandled || !rule.requireHandled),
      generatedAt: checkAt.toISOString(),
      completeness: {
        verdict: 'final-recheck',
        rule,
        expectedContacts: expected,
        expectedFrom:
          delivered.completeness?.expectedFrom ?? (expected === null ? 'unknown' : 'progress'),
        attemptsReachedContacts,
        allConnectedHandled,
        stableForMs: 0,
        checks: 1,
        recheck: {
          previousRevision,
          ...(previousVerdict !== undefined && { previousVerdict }),
          previousGeneratedAt: delivered.generatedAt,
        },
      },
      ...(delivered.window !== undefined && { window: delivered.window }),
      revision,
      final: true,
      campaignName: delivered.campaignName,
      hourly,
    });
    const jobId = finalWriteJobId(report.reportId, revision);
    await enqueueWarehouse(
      deps.warehouseQueue,
      { runId: data.runId, report, revises: delivered },
      { jobId },
      'write:final',
    );
    log.info(
      { reportId: report.reportId, revision, observed: counts.attempted, jobId },
      'final re-check built',
    );
    return { outcome: 'finalized', reportId: report.reportId, revision };
  }

  /** A final re-check that failed for good: the delivered row stays provisional; the run says why. */
  async function failFinal(data: AnalyticsJob, message: string) {
    await deps.runs.annotateReported(data.runId, { finalOutcome: `failed: ${message}` });
  }

  /**
   * The completeness rule (README: "How wrapup decides a report is complete"). Attempts are not
   * contacts: a contact may be dialled several times, so reaching the contacts called is only a
   * floor. On top of it every connected call must have its handle time or be abandoned (after-call
   * work posts when it ends, after the finish), and the counts must have stayed unchanged for
   * ANALYTICS_SETTLE_MS. With no expected count, at least one attempt must be seen.
   */
  function judge(
    counts: AnalyticsCounts,
    progress: Progress,
    checks: number,
    checkAt: Date,
    cutAtResume: boolean,
  ) {
    const { settleMs } = deps.analytics;
    const requireHandled =
      (progress.requireHandled ?? deps.analytics.requireHandled) && !cutAtResume;
    const fingerprint = countsFingerprint(counts);
    const stableSince =
      progress.fingerprint === fingerprint && progress.stableSince
        ? progress.stableSince
        : checkAt.toISOString();
    const stableForMs = Math.max(0, checkAt.getTime() - Date.parse(stableSince));
    const expected = progress.expectedCount;
    const attemptsReachedContacts =
      expected === null ? counts.attempted > 0 : counts.attempted >= expected;
    const allConnectedHandled = counts.handleCount + counts.abandoned >= counts.connected;
    const settled =
      settleMs === 0 || (progress.fingerprint !== undefined && stableForMs >= settleMs);
    const preconditions = attemptsReachedContacts && (allConnectedHandled || !requireHandled);
    const completeness: Omit<Completeness, 'verdict'> = {
      rule: { settleMs, requireHandled },
      expectedContacts: expected,
      expectedFrom: progress.expectedFrom ?? (expected === null ? 'unknown' : 'progress'),
      attemptsReachedContacts,
      allConnectedHandled,
      stableForMs,
      checks,
    };
    return {
      complete: preconditions && settled,
      onlySettling: preconditions && !settled,
      fingerprint,
      stableSince,
      completeness,
    };
  }

  async function validate(data: AnalyticsJob): Promise<
    | {
        kind: 'ok';
        expectedCount: number | null;
        expectedFrom: 'event' | 'progress' | 'unknown';
        requireHandled: boolean;
        campaignName: string | undefined;
      }
    | { kind: 'rejected'; reason: string }
  > {
    const checked = await validateCampaign(data);
    if (checked.kind === 'rejected') return checked;
    // An agentless campaign has no agents: its connected calls never get a handle time.
    const requireHandled = deps.analytics.requireHandled && checked.dialingMode !== 'agentless';
    return { ...checked.expected, kind: 'ok', requireHandled, campaignName: checked.name };
  }

  async function validateCampaign(data: AnalyticsJob): Promise<
    | {
        kind: 'ok';
        dialingMode: string | undefined;
        name: string | undefined;
        expected: { expectedCount: number | null; expectedFrom: 'event' | 'progress' | 'unknown' };
      }
    | { kind: 'rejected'; reason: string }
  > {
    // Batched, the progress joins the same batch as the campaign lookup (one window, not two;
    // the bulk call costs nothing per campaign) and is simply not used when the lookup says so.
    const early =
      deps.batched && data.contactCount === undefined
        ? deps.genesys.getCampaignProgress(data.campaignId)
        : undefined;
    early?.catch(() => undefined);
    const known = await deps.inventory.check(data.campaignId);
    if (!known.known) return { kind: 'rejected', reason: known.reason };
    const campaign = known.campaign ?? (await deps.genesys.getCampaign(data.campaignId));
    if (!campaign) return { kind: 'rejected', reason: 'campaign not found in Genesys Cloud' };
    if (campaign.campaignStatus === 'invalid')
      return { kind: 'rejected', reason: 'campaign status is invalid' };
    if (campaign.alwaysRunning && data.status === 'completed') {
      return { kind: 'rejected', reason: 'an alwaysRunning campaign never completes by itself' };
    }
    await deps.rememberCampaign?.(campaign);
    const ok = (expected: {
      expectedCount: number | null;
      expectedFrom: 'event' | 'progress' | 'unknown';
    }) =>
      ({ kind: 'ok', dialingMode: campaign.dialingMode, name: campaign.name, expected }) as const;
    if (data.contactCount !== undefined)
      return ok({ expectedCount: data.contactCount, expectedFrom: 'event' });
    // Progress counts the contacts called since the run's first start (across pauses). Once the
    // campaign has moved on (turned on again: resumed after this stop, or restarted from its first
    // record after this completion) it no longer describes this run, so it is not used.
    if (!stillInStatus(campaign.campaignStatus, data.status))
      return ok({ expectedCount: null, expectedFrom: 'unknown' });
    const progress = await (early ?? deps.genesys.getCampaignProgress(data.campaignId));
    const called = progress.numberOfContactsCalled;
    return ok(
      called === undefined
        ? { expectedCount: null, expectedFrom: 'unknown' }
        : { expectedCount: called, expectedFrom: 'progress' },
    );
  }

  /** Writes the stages the trail holds, then `stage` with the patch (one round trip); empties the trail. */
  async function writeStage(
    runId: string,
    trail: Trail,
    stage: StageStep['stage'],
    patch: StagePatch = {},
  ) {
    await deps.runs.setStage(runId, [...trail.steps, { stage }], patch);
    trail.steps = [];
  }

  async function fail(data: AnalyticsJob, message: string, trail: Trail) {
    await writeStage(data.runId, trail, 'failed', {
      lastError: message,
      outcome: 'analytics failed',
    });
    await notify(
      buildNotification({
        event: 'report.failed',
        runId: data.runId,
        campaignId: data.campaignId,
        reason: message,
      }),
    );
  }

  async function notify(n: Notification) {
    await enqueueNotifications(deps.notifyQueue, deps.notifyUrls, n);
  }
}
