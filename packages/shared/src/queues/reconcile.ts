import * as v from 'valibot';
import { DAY_SECONDS } from './common';
import type { DefaultJobOptions } from './job-options';

export const RECONCILE_QUEUE = 'reconcile';

/** The job scheduler that adds a sweep every RECONCILE_EVERY_MINUTES (one per queue, whatever the workers). */
export const RECONCILE_SCHEDULER_ID = 'reconcile-sweep';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * An ISO-8601 time with its zone (`2026-12-01T09:00:00Z`, `...+01:00`), normalised to UTC
 * milliseconds (`2026-12-01T09:00:00.000Z`).
 */
export const IsoTimeSchema = v.pipe(
  v.string('must be an ISO-8601 time such as 2026-12-01T09:00:00Z'),
  v.trim(),
  v.regex(ISO_TIME, 'must be an ISO-8601 time with a zone, such as 2026-12-01T09:00:00Z'),
  v.check((s) => Number.isFinite(Date.parse(s)), 'is not a real date and time'),
  v.transform((s) => new Date(Date.parse(s)).toISOString()),
);

/**
 * One reconciliation sweep: list every campaign once and hand each to the intake. With `since`
 * it is also a backfill: every finished campaign modified at or after `since` that has no run for
 * its finish gets one (see the reconcile processor).
 */
export const ReconcileJobSchema = v.strictObject({
  since: v.optional(IsoTimeSchema),
  requestedBy: v.optional(v.picklist(['schedule', 'admin'])),
});
export type ReconcileJob = v.InferOutput<typeof ReconcileJobSchema>;

/** What one sweep did (the job's return value). */
export interface ReconcileResult {
  /** Campaigns the listing returned. */
  listed: number;
  /** Runs started: finishes no source had reported. */
  started: number;
  /** Finishes that already had a run (a webhook or an earlier sweep reported them). */
  duplicates: number;
  /** Campaigns only remembered (the first sweep, or unseen ones older than the baseline): no run. */
  baseline: number;
  /** Campaigns the intake saw without a change into a finish (still running, still finished, ...). */
  unchanged: number;
  /** Campaigns left alone: no status, too old or in the future, a status TRIGGER_STATUSES excludes, invalid. */
  skipped: number;
  /** True when this sweep recorded the baseline (the first sweep ever under this QUEUE_PREFIX). */
  firstSweep: boolean;
  /** The backfill bound, when the job had one. */
  since?: string;
}

/** A sweep is cheap to repeat (every step is idempotent), so a failed one is simply retried. */
export const reconcileJobOptions: DefaultJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000, jitter: 0.2 },
  removeOnComplete: { age: 7 * DAY_SECONDS, count: 1_000 },
  removeOnFail: { age: 30 * DAY_SECONDS, count: 1_000 },
};
