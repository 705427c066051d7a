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
});
export type AnalyticsJob = v.InferOutput<typeof AnalyticsJobSchema>;

export const analyticsJobOptions: DefaultJobOptions = {
  attempts: 6,
  backoff: { type: 'exponential', delay: 5_000, jitter: 0.2 },
  ...retention,
};
