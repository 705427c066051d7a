import * as v from 'valibot';

export const REPORT_GENERATED_BY = 'automated-reporting-service';
export const REPORT_VERSION = '2.0';

export const ReportSchema = v.object({
  reportId: v.pipe(v.string(), v.startsWith('rpt-')),
  campaignId: v.string(),
  completionTimestamp: v.string(),
  metrics: v.object({
    totalCallsAttempted: v.pipe(v.number(), v.integer(), v.minValue(0)),
    successfulContacts: v.pipe(v.number(), v.integer(), v.minValue(0)),
    contactRate: v.pipe(v.number(), v.minValue(0)),
    avgHandleTimeSeconds: v.pipe(v.number(), v.minValue(0)),
    status: v.picklist(['completed', 'stopped']),
  }),
  metadata: v.object({ generatedBy: v.string(), version: v.string() }),
  /** Added fields (contract: extended, never renamed). */
  endTime: v.nullable(v.string()),
  dataComplete: v.boolean(),
  expectedCount: v.nullable(v.number()),
  observedCount: v.number(),
  waitedMs: v.number(),
  interval: v.string(),
  generatedAt: v.string(),
});
export type Report = v.InferOutput<typeof ReportSchema>;
