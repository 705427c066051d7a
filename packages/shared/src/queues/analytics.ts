import * as v from 'valibot';
import { ReportSchema } from '../report';
import { retention } from './common';
import type { DefaultJobOptions } from './job-options';

export const ANALYTICS_QUEUE = 'analytics';

/**
 * `report` (the default): validate, wait for and report a run. `final`: re-check a delivered
 * report once Genesys's reprocessing window has passed (FINAL_REPORT_AFTER), see finalCheckJobId.
 */
export const ANALYTICS_PHASES = ['report', 'final'] as const;
export type AnalyticsPhase = (typeof ANALYTICS_PHASES)[number];

/**
 * One campaign run to validate, wait for, and report. Job id = runId (a replay's: replayJobId; a
 * final re-check's: finalCheckJobId).
 */
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
      /** The campaign's name as Genesys gave it at validation (the reports console shows it). */
      campaignName: v.optional(v.string()),
      /** The counts of the last check (countsFingerprint) and since when they have not changed. */
      fingerprint: v.optional(v.string()),
      stableSince: v.optional(v.string()),
    }),
  ),
  /** Absent on jobs written before the final re-check existed: `report`. */
  phase: v.optional(v.picklist(ANALYTICS_PHASES)),
  /**
   * Phase `final` only: the report confirmed in the warehouse that this job re-checks (its window,
   * revision and figures). The re-check queries the same interval and writes revision + 1.
   */
  delivered: v.optional(ReportSchema),
});
export type AnalyticsJob = v.InferOutput<typeof AnalyticsJobSchema>;

/** The infix of a final re-check's job id (see finalCheckJobId). */
export const FINAL_CHECK_JOB_INFIX = '-final-r';

/**
 * The final re-check of a run's revision `revision`: one id per run and revision, so a retried or
 * redelivered warehouse job never schedules a second one (BullMQ ignores an add under an id it
 * still holds), while a replay's new revision gets a check of its own.
 */
export const finalCheckJobId = (runId: string, revision: number) =>
  `${runId}${FINAL_CHECK_JOB_INFIX}${revision}`;

export const analyticsJobOptions: DefaultJobOptions = {
  attempts: 6,
  backoff: { type: 'exponential', delay: 5_000, jitter: 0.2 },
  ...retention,
};
