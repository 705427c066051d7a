import * as v from 'valibot';
import type { JobsOptions, Queue } from 'bullmq';
import {
  AnalyticsJobSchema,
  analyticsJobOptions,
  type AnalyticsJob,
  type CampaignFinished,
} from '@wrapup/shared';
import { prepareAdd, type PreparedAdd, type StoredRun } from '@wrapup/runs';

/** The analytics job for a fresh event. `startedAt` is used only when the event has no duration. */
export function jobFromEvent(
  e: CampaignFinished & { status: 'completed' | 'stopped' },
  ids: { runId: string; eventId: string },
  startedAt: string | undefined,
  receivedAt: string,
): AnalyticsJob {
  return v.parse(AnalyticsJobSchema, {
    runId: ids.runId,
    campaignId: e.campaignId,
    status: e.status,
    occurredAt: e.occurredAt,
    ...(e.durationSeconds !== undefined
      ? { durationSeconds: e.durationSeconds }
      : startedAt
        ? { startedAt }
        : {}),
    ...(e.contactCount !== undefined ? { contactCount: e.contactCount } : {}),
    eventId: ids.eventId,
    shape: e.shape,
    receivedAt,
  });
}

const SHAPES: readonly string[] = ['guide', 'eventbridge', 'notification', 'replay'];

/**
 * The analytics job rebuilt from a stored run (a join that must re-enqueue, or a replay with
 * shape 'replay'); without a shape, the shape the run arrived in.
 */
export function jobFromRun(
  run: StoredRun,
  eventId: string,
  receivedAt: string,
  shape?: AnalyticsJob['shape'],
): AnalyticsJob {
  return v.parse(AnalyticsJobSchema, {
    runId: run.runId,
    campaignId: run.campaignId,
    status: run.status,
    occurredAt: run.occurredAt,
    ...(run.durationSeconds !== undefined
      ? { durationSeconds: run.durationSeconds }
      : run.startedAt
        ? { startedAt: run.startedAt }
        : {}),
    ...(run.contactCount !== undefined ? { contactCount: run.contactCount } : {}),
    eventId,
    shape: shape ?? (run.shape !== undefined && SHAPES.includes(run.shape) ? run.shape : 'guide'),
    receivedAt,
  });
}

// The shared catalog types `removeOn*.age` as optional; the values it sets always carry one.
const jobOptions = analyticsJobOptions as JobsOptions;

/** The add `enqueueAnalytics` would make, prepared for the intake script to run (see RunStore.intake). */
export function prepareAnalyticsAdd(
  queue: Queue,
  job: AnalyticsJob,
  jobId: string,
): PreparedAdd {
  return prepareAdd(queue, 'run', job, { ...jobOptions, jobId });
}

/** Adds the job; BullMQ keeps the first job of a jobId, so a repeat add is harmless. */
export async function enqueueAnalytics(
  queue: Queue,
  job: AnalyticsJob,
  jobId: string,
): Promise<void> {
  await queue.add('run', job, { ...jobOptions, jobId });
}
