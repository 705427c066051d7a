import * as v from 'valibot';
import { RunRecordSchema } from '@wrapup/shared';
import { RunSummarySchema, decodeSummary, type RunSummary } from './report-copy';

/** A run as stored: the shared RunRecord plus what a replay needs to rebuild the job. */
export const StoredRunSchema = v.object({
  ...RunRecordSchema.entries,
  createdAt: v.string(),
  /** True once the analytics job is known to be in the queue (or a worker touched the run). */
  enqueued: v.boolean(),
  shape: v.optional(v.string()),
  durationSeconds: v.optional(v.number()),
  contactCount: v.optional(v.number()),
  /** The remembered `on` time used as the interval start, if any. */
  startedAt: v.optional(v.string()),
  /** The latest report revision the warehouse confirmed (1 for the first report). */
  revision: v.optional(v.number()),
  /** When the final re-check (FINAL_REPORT_AFTER) is due, once one was scheduled (ISO). */
  finalDueAt: v.optional(v.string()),
  /** When the final revision was confirmed in the warehouse (ISO). */
  finalizedAt: v.optional(v.string()),
  /**
   * What the final re-check found: `unchanged`, `revised: <the changes>`, `superseded` (a newer
   * revision was there already) or `failed: <error>`.
   */
  finalOutcome: v.optional(v.string()),
  /** The headline of the report the run delivered (the warehouse stage writes it with the stage). */
  summary: v.optional(RunSummarySchema),
});
export type StoredRun = v.InferOutput<typeof StoredRunSchema>;

export type StagePatch = {
  reportId?: string;
  expectedCount?: number | null;
  observedCount?: number;
  outcome?: string;
  lastError?: string;
  /** The report revision just confirmed. */
  revision?: number;
  finalDueAt?: string;
  finalizedAt?: string;
  finalOutcome?: string;
  /** The delivered report's headline (see RunStore's `report` option, which sets it). */
  summary?: RunSummary;
};

const required = v.pipe(v.string(), v.nonEmpty());
/** A number written with String(n); an empty field counts as unset. */
const numeric = v.optional(
  v.pipe(
    v.string(),
    v.transform((s) => (s === '' ? undefined : Number(s))),
    v.optional(v.number()),
  ),
);

/**
 * A run hash (HGETALL: every value a string) -> StoredRun. Numbers are parsed, `expectedCount`
 * may be `null`, the `t:<stage>` fields become `stages`, `eventIds` is a JSON array.
 */
const RunHashSchema = v.pipe(
  v.record(v.string(), v.string()),
  v.transform((h) => ({
    ...h,
    stages: Object.fromEntries(
      Object.entries(h)
        .filter(([field]) => field.startsWith('t:'))
        .map(([field, at]) => [field.slice(2), at]),
    ),
  })),
  v.object({
    ...StoredRunSchema.entries,
    runId: required,
    campaignId: required,
    occurredAt: required,
    eventIds: v.optional(v.pipe(v.string(), v.parseJson(), RunRecordSchema.entries.eventIds), '[]'),
    expectedCount: v.optional(
      v.union([
        v.pipe(
          v.literal('null'),
          v.transform(() => null),
        ),
        numeric,
      ]),
    ),
    observedCount: numeric,
    replays: numeric,
    revision: numeric,
    durationSeconds: numeric,
    contactCount: numeric,
    createdAt: v.optional(v.string()),
    enqueued: v.optional(v.string()),
    // a broken summary is left out rather than losing the run
    summary: v.pipe(v.optional(v.string()), v.transform(decodeSummary)),
  }),
  v.transform(({ createdAt, enqueued, summary, ...run }): StoredRun => ({
    ...run,
    createdAt: createdAt ?? run.stages.received ?? run.occurredAt,
    enqueued: enqueued === '1',
    ...(summary !== undefined && { summary }),
  })),
);

/** Turns a run hash (HGETALL) into a StoredRun; undefined when the hash is empty or broken. */
export function decodeRun(h: Record<string, string>): StoredRun | undefined {
  const result = v.safeParse(RunHashSchema, h);
  return result.success ? result.output : undefined;
}

/** Field/value pairs for a stage patch (undefined entries are left alone). */
export function encodePatch(patch: StagePatch): string[] {
  const out: string[] = [];
  if (patch.reportId !== undefined) out.push('reportId', patch.reportId);
  if (patch.expectedCount !== undefined)
    out.push('expectedCount', patch.expectedCount === null ? 'null' : String(patch.expectedCount));
  if (patch.observedCount !== undefined) out.push('observedCount', String(patch.observedCount));
  if (patch.outcome !== undefined) out.push('outcome', patch.outcome);
  if (patch.lastError !== undefined) out.push('lastError', patch.lastError.slice(0, 2000));
  if (patch.revision !== undefined) out.push('revision', String(patch.revision));
  if (patch.finalDueAt !== undefined) out.push('finalDueAt', patch.finalDueAt);
  if (patch.finalizedAt !== undefined) out.push('finalizedAt', patch.finalizedAt);
  if (patch.finalOutcome !== undefined) out.push('finalOutcome', patch.finalOutcome.slice(0, 2000));
  if (patch.summary !== undefined) out.push('summary', JSON.stringify(patch.summary));
  return out;
}
