import { DelayedError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import * as v from 'valibot';
import {
  AnalyticsJobSchema,
  analyticsInterval,
  buildReport,
  reportIdFor,
  type AnalyticsJob,
  type Config,
  type Notification,
  type WarehouseJob,
} from '@wrapup/shared';
import type { RunStore, StagePatch, StageStep } from '@wrapup/runs';
import { lazyChild, type JobLog } from '../logger';
import { enqueueNotifications } from '../queues';
import { WRITE_AFTER_DELIVERING } from './warehouse';

/** What the analytics stage needs from Genesys (the real client satisfies it). */
export interface AnalyticsGenesys {
  getCampaign(id: string): Promise<
    { id: string; name?: string; campaignStatus: string; alwaysRunning?: boolean } | undefined
  >;
  getCampaignProgress(id: string): Promise<{ numberOfContactsCalled: number }>;
  campaignAnalytics(a: { campaignId: string; interval: string }): Promise<{
    counts: { attempted: number; connected: number; handleSumMs: number; handleCount: number };
  }>;
}

type CampaignView = NonNullable<Awaited<ReturnType<AnalyticsGenesys['getCampaign']>>>;

export interface AnalyticsInventory {
  /** `campaign` is there when the check itself asked Genesys (saves a second call). */
  check(
    campaignId: string,
  ): Promise<{ known: true; campaign?: CampaignView | undefined } | { known: false; reason: string }>;
}

export interface AnalyticsDeps {
  genesys: AnalyticsGenesys;
  inventory: AnalyticsInventory;
  runs: RunStore;
  warehouseQueue: Queue;
  notifyQueue: Queue;
  notifyUrls: string[];
  analytics: Config['analytics'];
  logger: Logger;
  now?: () => Date;
}

export type AnalyticsOutcome =
  | { outcome: 'rejected'; reason: string }
  | { outcome: 'reported'; reportId: string; complete: boolean; observed: number; expected: number | null };

type Progress = NonNullable<AnalyticsJob['progress']>;

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
 * The `analytics` queue: validate the campaign once, then check the aggregates until they hold
 * every expected attempt, waiting between checks with moveToDelayed (no attempt spent, no slot
 * held). When the wait runs out the report is written as incomplete, never as a failure.
 */
export function createAnalyticsProcessor(deps: AnalyticsDeps) {
  const now = deps.now ?? (() => new Date());

  return async function processAnalytics(job: Job, token?: string): Promise<AnalyticsOutcome> {
    const data = v.parse(AnalyticsJobSchema, job.data);
    const log = lazyChild(deps.logger, () => ({
      queue: job.queueName,
      jobId: job.id,
      runId: data.runId,
      campaignId: data.campaignId,
      attempt: job.attemptsMade + 1,
    }));
    const trail: Trail = { steps: [] };
    try {
      return await step(job, data, log, trail, token);
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const message = err instanceof Error ? err.message : String(err);
      log.warn({ err: message, final }, 'analytics attempt failed');
      if (final) await fail(data, message, trail);
      else {
        const stage = data.progress ? 'waiting_for_analytics' : 'validating';
        await writeStage(data.runId, trail, stage, { lastError: message });
      }
      throw err;
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
        await notify({
          event: 'campaign.rejected',
          campaignId: data.campaignId,
          runId: data.runId,
          reason: verdict.reason,
          text: `Campaign ${data.campaignId} was not reported: ${verdict.reason}`,
        });
        return { outcome: 'rejected', reason: verdict.reason };
      }
      progress = {
        firstCheckAt: checkAt.toISOString(),
        checks: 0,
        expectedCount: verdict.expectedCount,
        lastObserved: 0,
      };
      await writeStage(data.runId, trail, 'waiting_for_analytics', {
        expectedCount: verdict.expectedCount,
      });
    }

    const { interval } = analyticsInterval({
      occurredAt: data.occurredAt,
      durationSeconds: data.durationSeconds,
      startedAt: data.startedAt,
      bufferMinutes: deps.analytics.queryBufferMinutes,
      defaultLookbackHours: deps.analytics.defaultLookbackHours,
    });
    const { counts } = await deps.genesys.campaignAnalytics({ campaignId: data.campaignId, interval });
    const expected = progress.expectedCount;
    const complete = expected === null || counts.attempted >= expected;
    const waitedMs = checkAt.getTime() - Date.parse(progress.firstCheckAt);
    const checks = progress.checks + 1;

    if (!complete && waitedMs < deps.analytics.maxWaitMs) {
      const delay = Math.min(
        deps.analytics.retryDelayMs * deps.analytics.backoffFactor ** (checks - 1),
        deps.analytics.maxWaitMs - waitedMs,
      );
      log.info({ observed: counts.attempted, expected, delayMs: delay, checks }, 'analytics not complete yet, waiting');
      await job.updateData({ ...data, progress: { ...progress, checks, lastObserved: counts.attempted } });
      await writeStage(data.runId, trail, 'waiting_for_analytics', {
        expectedCount: expected,
        observedCount: counts.attempted,
      });
      await job.moveToDelayed(Date.now() + Math.max(10, Math.round(delay)), token);
      throw new DelayedError();
    }

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
    await deps.warehouseQueue.add(WRITE_AFTER_DELIVERING, payload, { jobId });
    log.info({ reportId: report.reportId, complete, observed: counts.attempted, expected, waitedMs }, 'report built');
    return { outcome: 'reported', reportId: report.reportId, complete, observed: counts.attempted, expected };
  }

  async function validate(
    data: AnalyticsJob,
  ): Promise<{ kind: 'ok'; expectedCount: number | null } | { kind: 'rejected'; reason: string }> {
    const known = await deps.inventory.check(data.campaignId);
    if (!known.known) return { kind: 'rejected', reason: known.reason };
    const campaign = known.campaign ?? (await deps.genesys.getCampaign(data.campaignId));
    if (!campaign) return { kind: 'rejected', reason: 'campaign not found in Genesys Cloud' };
    if (campaign.campaignStatus === 'invalid') return { kind: 'rejected', reason: 'campaign status is invalid' };
    if (campaign.alwaysRunning && data.status === 'completed') {
      return { kind: 'rejected', reason: 'an alwaysRunning campaign never completes by itself' };
    }
    if (data.contactCount !== undefined) return { kind: 'ok', expectedCount: data.contactCount };
    const progress = await deps.genesys.getCampaignProgress(data.campaignId);
    return { kind: 'ok', expectedCount: progress.numberOfContactsCalled };
  }

  /** Writes the stages the trail holds, then `stage` with the patch (one round trip); empties the trail. */
  async function writeStage(runId: string, trail: Trail, stage: StageStep['stage'], patch: StagePatch = {}) {
    await deps.runs.setStage(runId, [...trail.steps, { stage }], patch);
    trail.steps = [];
  }

  async function fail(data: AnalyticsJob, message: string, trail: Trail) {
    await writeStage(data.runId, trail, 'failed', { lastError: message, outcome: 'analytics failed' });
    await notify({
      event: 'report.failed',
      campaignId: data.campaignId,
      runId: data.runId,
      reportId: reportIdFor(data.runId),
      reason: message,
      text: `Campaign ${data.campaignId}: the report could not be built (${message})`,
    });
  }

  async function notify(n: Notification) {
    await enqueueNotifications(deps.notifyQueue, deps.notifyUrls, n);
  }
}
