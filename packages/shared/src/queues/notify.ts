import { createHash } from 'node:crypto';
import * as v from 'valibot';
import { ReportSchema } from '../report';
import { retention } from './common';
import type { DefaultJobOptions } from './job-options';

export const NOTIFY_QUEUE = 'notify';

export const NOTIFY_EVENTS = [
  'report.delivered',
  'report.incomplete',
  'report.failed',
  'campaign.rejected',
  /** The final re-check (FINAL_REPORT_AFTER) found different figures; only then. */
  'report.revised',
  /**
   * The report's compliance abandon rate is above its limit (the campaign's target or
   * ABANDON_RATE_LIMIT, the lower); once per run.
   */
  'report.compliance',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** The JSON body POSTed to every NOTIFY_URLS entry (README, "Notifications"). */
export const NotificationSchema = v.object({
  text: v.string(),
  event: v.picklist(NOTIFY_EVENTS),
  campaignId: v.string(),
  runId: v.string(),
  reportId: v.optional(v.string()),
  report: v.optional(ReportSchema),
  reason: v.optional(v.string()),
  /** `report.revised` only: each figure that changed since the revision it re-checked. */
  changes: v.optional(
    v.array(
      v.object({
        figure: v.string(),
        label: v.string(),
        unit: v.picklist(['count', 'ratio', 'seconds']),
        from: v.nullable(v.number()),
        to: v.nullable(v.number()),
      }),
    ),
  ),
  /** `report.revised` only: the revision the figures changed from. */
  previousRevision: v.optional(v.number()),
});
export type Notification = v.InferOutput<typeof NotificationSchema>;

/**
 * The first 16 hex digits of sha256(url): names a NOTIFY_URLS entry without revealing it (Slack
 * webhook URLs embed their token). Used in notify job data and job ids instead of the URL.
 */
export const notifyTargetHash = (url: string) =>
  createHash('sha256').update(url).digest('hex').slice(0, 16);

/**
 * A reference to one configured NOTIFY_URLS entry: its position and notifyTargetHash. The worker
 * sends only to a URL of its own configuration that matches it; a job never carries a URL.
 */
export const NotifyTargetSchema = v.strictObject({
  index: v.pipe(v.number(), v.integer(), v.minValue(0)),
  hash: v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex digits')),
});
export type NotifyTarget = v.InferOutput<typeof NotifyTargetSchema>;

/**
 * One notification to one configured URL (each URL retried on its own). Strict: a job holding
 * anything else (a `url` of its own) is refused. Job id = notifyJobId(runId, event, url).
 */
export const NotifyJobSchema = v.strictObject({
  target: NotifyTargetSchema,
  notification: NotificationSchema,
});
export type NotifyJob = v.InferOutput<typeof NotifyJobSchema>;

export const notifyJobOptions: DefaultJobOptions = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 2_000, jitter: 0.2 },
  ...retention,
};
