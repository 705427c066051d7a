import * as v from 'valibot';
import type { Queue } from 'bullmq';
import {
  AnalyticsJobSchema,
  analyticsJobOptions,
  type AnalyticsJob,
  type CampaignFinished,
} from '@wrapup/shared';
import { addTemplate, type AddOfJob, type PreparedAdd } from './bullmq-add';
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

/**
 * The job's fields in the schema's order (the order `v.parse` gives them, and so the order of the
 * job's JSON). The start time is kept only when there is no duration.
 */
function jobFields(
  src: JobSource,
  eventId: string,
  shape: string,
  receivedAt: string,
): Record<string, unknown> {
  const job: Record<string, unknown> = {
    runId: src.runId,
    campaignId: src.campaignId,
    status: src.status,
    occurredAt: src.occurredAt,
  };
  if (src.durationSeconds !== undefined) job.durationSeconds = src.durationSeconds;
  if (src.contactCount !== undefined) job.contactCount = src.contactCount;
  if (src.durationSeconds === undefined && src.startedAt) job.startedAt = src.startedAt;
  job.eventId = eventId;
  job.shape = shape;
  job.receivedAt = receivedAt;
  return job;
}

/** The job, checked against the schema (for fields read back from Redis). */
function buildJob(
  src: JobSource,
  eventId: string,
  shape: string,
  receivedAt: string,
): AnalyticsJob {
  return v.parse(AnalyticsJobSchema, jobFields(src, eventId, shape, receivedAt));
}

/**
 * The analytics job for a fresh event. `startedAt` is used only when the event has no duration.
 * Not checked against the schema again: every field comes from the event `parseCampaignEvent`
 * already checked (the types say so), and the fields are laid out as `v.parse` would lay them
 * out (intake-lean.int.test.ts holds the two side by side).
 */
export function jobFromEvent(
  e: CampaignFinished & { status: 'completed' | 'stopped' },
  ids: { runId: string; eventId: string },
  startedAt: string | undefined,
  receivedAt: string,
): AnalyticsJob {
  return jobFields(
    {
      runId: ids.runId,
      campaignId: e.campaignId,
      status: e.status,
      occurredAt: e.occurredAt,
      durationSeconds: e.durationSeconds,
      contactCount: e.contactCount,
      startedAt,
    },
    ids.eventId,
    e.shape,
    receivedAt,
  ) as AnalyticsJob;
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

const templates = new WeakMap<Queue, AddOfJob>();

/**
 * The add `enqueueAnalytics` would make, prepared for the intake script to run (see RunStore.intake):
 * byte for byte what `prepareAdd` builds, from a template made once per queue (see addTemplate).
 */
export function prepareAnalyticsAdd(queue: Queue, job: AnalyticsJob, jobId: string): PreparedAdd {
  let add = templates.get(queue);
  if (!add) {
    add = addTemplate(queue, 'run', analyticsJobOptions);
    templates.set(queue, add);
  }
  return add(job, jobId);
}

/** Adds the job; BullMQ keeps the first job of a jobId, so a repeat add is harmless. */
export async function enqueueAnalytics(
  queue: Queue,
  job: AnalyticsJob,
  jobId: string,
): Promise<void> {
  await queue.add('run', job, { ...analyticsJobOptions, jobId });
}
