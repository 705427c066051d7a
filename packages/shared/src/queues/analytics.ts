import * as v from 'valibot';
import { retention } from './common';
import type { DefaultJobOptions } from './job-options';

export const ANALYTICS_QUEUE = 'analytics';

/** One campaign run to validate, wait for, and report. Job id = runId. */
export const AnalyticsJobSchema = v.object({
  runId: v.string(),
  campaignId: v.string(),
  status: v.picklist(['completed', 'stopped']),
  /** ISO UTC completion time. */
  occurredAt: v.string(),
  durationSeconds: v.optional(v.number()),
  contactCount: v.optional(v.number()),
  /** ISO UTC time the campaign was last seen turning `on`, if remembered. */
  startedAt: v.optional(v.string()),
  eventId: v.string(),
  shape: v.picklist(['guide', 'eventbridge', 'notification', 'replay']),
  receivedAt: v.string(),
  /** Written by the worker between checks (job.updateData), so a delayed retry knows where it is. */
  progress: v.optional(
    v.object({
      firstCheckAt: v.string(),
      checks: v.number(),
      /** Contacts the campaign said it called; null when unknown. */
      expectedCount: v.nullable(v.number()),
      /** Where expectedCount came from (absent in jobs written before v2.1: 'progress' or 'event'). */
      expectedFrom: v.optional(v.picklist(['event', 'progress', 'unknown'])),
      lastObserved: v.number(),
      /** Whether this run requires every connected call handled (off for agentless campaigns). */
      requireHandled: v.optional(v.boolean()),
      /** The counts of the last check (countsFingerprint) and since when they have not changed. */
      fingerprint: v.optional(v.string()),
      stableSince: v.optional(v.string()),
    }),
  ),
});
export type AnalyticsJob = v.InferOutput<typeof AnalyticsJobSchema>;

export const analyticsJobOptions: DefaultJobOptions = {
  attempts: 6,
  backoff: { type: 'exponential', delay: 5_000, jitter: 0.2 },
  ...retention,
};
