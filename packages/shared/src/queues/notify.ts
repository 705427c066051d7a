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
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** The JSON body POSTed to every NOTIFY_URLS entry (contract: Notifications). */
export const NotificationSchema = v.object({
  text: v.string(),
  event: v.picklist(NOTIFY_EVENTS),
  campaignId: v.string(),
  runId: v.string(),
  reportId: v.optional(v.string()),
  report: v.optional(ReportSchema),
  reason: v.optional(v.string()),
});
export type Notification = v.InferOutput<typeof NotificationSchema>;

/** One notification to one URL (each URL retried on its own). Job id = notifyJobId(...). */
export const NotifyJobSchema = v.object({
  url: v.string(),
  notification: NotificationSchema,
});
export type NotifyJob = v.InferOutput<typeof NotifyJobSchema>;

export const notifyJobOptions: DefaultJobOptions = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 2_000, jitter: 0.2 },
  ...retention,
};
