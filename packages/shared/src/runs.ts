import * as v from 'valibot';

export const RUN_STAGES = [
  'received',
  'validating',
  'waiting_for_analytics',
  'delivering',
  'delivered',
  'incomplete',
  'rejected',
  'failed',
] as const;
export type RunStage = (typeof RUN_STAGES)[number];
/** Stages after which nothing more happens to a run (apart from a replay). */
export const FINAL_STAGES: readonly RunStage[] = ['delivered', 'incomplete', 'rejected', 'failed'];

/** The record of one campaign run, as the admin API shows it. */
export const RunRecordSchema = v.object({
  runId: v.string(),
  campaignId: v.string(),
  status: v.picklist(['completed', 'stopped']),
  occurredAt: v.string(),
  stage: v.picklist(RUN_STAGES),
  /** stage -> ISO time it was entered (latest). */
  stages: v.record(v.string(), v.string()),
  eventIds: v.array(v.string()),
  reportId: v.optional(v.string()),
  expectedCount: v.optional(v.nullable(v.number())),
  observedCount: v.optional(v.number()),
  outcome: v.optional(v.string()),
  lastError: v.optional(v.string()),
  replays: v.optional(v.number()),
});
export type RunRecord = v.InferOutput<typeof RunRecordSchema>;
