import * as v from 'valibot';
import type { Queue } from 'bullmq';
import {
  AnalyticsJobSchema,
  analyticsJobOptions,
  type AnalyticsJob,
  type CampaignFinished,
} from '@wrapup/shared';
import { prepareAdd, type PreparedAdd } from './bullmq-add';
import type { StoredRun } from './record';

/** What an analytics job is made of, from a fresh event or a stored run. */
interface JobSource {
  runId: string;
  campaignId: string;
  status: string;
  occurredAt: string;
  durationSeconds?: number | undefined;
  startedAt?: string | undefined;
  contactCount?: number | undefined;
}

/** The job, checked against the schema. The start time is kept only when there is no duration. */
function buildJob(
  src: JobSource,
  eventId: string,
  shape: string,
  receivedAt: string,
): AnalyticsJob {
  return v.parse(AnalyticsJobSchema, {
    runId: src.runId,
    campaignId: src.campaignId,
    status: src.status,
    occurredAt: src.occurredAt,
    ...(src.durationSeconds !== undefined
      ? { durationSeconds: src.durationSeconds }
      : src.startedAt
        ? { startedAt: src.startedAt }
        : {}),
    ...(src.contactCount !== undefined ? { contactCount: src.contactCount } : {}),
    eventId,
    shape,
    receivedAt,
  });
}

/** The analytics job for a fresh event. `startedAt` is used only when the event has no duration. */
export function jobFromEvent(
  e: CampaignFinished & { status: 'completed' | 'stopped' },
  ids: { runId: string; eventId: string },
  startedAt: string | undefined,
  receivedAt: string,
): AnalyticsJob {
  return buildJob({ ...e, runId: ids.runId, startedAt }, ids.eventId, e.shape, receivedAt);
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
  const arrived = run.shape !== undefined && SHAPES.includes(run.shape) ? run.shape : 'guide';
  return buildJob(run, eventId, shape ?? arrived, receivedAt);
}

/** The add `enqueueAnalytics` would make, prepared for the intake script to run (see RunStore.intake). */
export function prepareAnalyticsAdd(queue: Queue, job: AnalyticsJob, jobId: string): PreparedAdd {
  return prepareAdd(queue, 'run', job, { ...analyticsJobOptions, jobId });
}

/** Adds the job; BullMQ keeps the first job of a jobId, so a repeat add is harmless. */
export async function enqueueAnalytics(
  queue: Queue,
  job: AnalyticsJob,
  jobId: string,
): Promise<void> {
  await queue.add('run', job, { ...analyticsJobOptions, jobId });
}
