import * as v from 'valibot';
import { reportIdFor } from './ids';
import { REPORT_GENERATED_BY, REPORT_VERSION, ReportSchema, type Report } from './report';

/**
 * The answer of `POST /api/v2/analytics/conversations/aggregates/query`, loosely: unknown fields
 * are kept, everything is optional, and `{}` (nothing yet) is valid.
 */
const StatsSchema = v.looseObject({
  count: v.optional(v.number()),
  sum: v.optional(v.number()),
  min: v.optional(v.number()),
  max: v.optional(v.number()),
});

export const AggregatesResponseSchema = v.looseObject({
  results: v.optional(
    v.array(
      v.looseObject({
        group: v.optional(v.record(v.string(), v.unknown())),
        data: v.optional(
          v.array(
            v.looseObject({
              interval: v.optional(v.string()),
              metrics: v.optional(
                v.array(v.looseObject({ metric: v.string(), stats: v.optional(StatsSchema) })),
              ),
            }),
          ),
        ),
      }),
    ),
  ),
});
export type AggregatesResponse = v.InferOutput<typeof AggregatesResponseSchema>;

export interface AnalyticsCounts {
  /** nOutboundAttempted count. */
  attempted: number;
  /** nOutboundConnected count. */
  connected: number;
  /** tHandle sum, milliseconds. */
  handleSumMs: number;
  /** tHandle count. */
  handleCount: number;
}

/**
 * Sums the campaign's metrics over every group and data interval that belongs to it: groups whose
 * `group.outboundCampaignId` equals `campaignId`, or that carry no campaign dimension at all (no
 * group, or a group without outboundCampaignId, as when the query filtered by campaign already).
 * Other campaigns' groups are ignored. Missing stats count as 0.
 */
export function extractCounts(resp: AggregatesResponse, campaignId: string): AnalyticsCounts {
  const counts: AnalyticsCounts = { attempted: 0, connected: 0, handleSumMs: 0, handleCount: 0 };
  for (const result of resp.results ?? []) {
    const groupCampaign = result.group?.outboundCampaignId;
    if (groupCampaign !== undefined && groupCampaign !== campaignId) continue;
    for (const entry of result.data ?? []) {
      for (const m of entry.metrics ?? []) {
        const stats = m.stats ?? {};
        if (m.metric === 'nOutboundAttempted') counts.attempted += num(stats.count);
        else if (m.metric === 'nOutboundConnected') counts.connected += num(stats.count);
        else if (m.metric === 'tHandle') {
          counts.handleSumMs += num(stats.sum);
          counts.handleCount += num(stats.count);
        }
      }
    }
  }
  return counts;
}

const num = (x: number | undefined) => (x !== undefined && Number.isFinite(x) && x > 0 ? x : 0);

/**
 * Ratios in the report are rounded to 4 decimals (0.3, 0.3333, 120.5), so re-running a report
 * over the same data writes identical rows and float noise never shows in the warehouse.
 */
export const roundRatio = (x: number) => Math.round(x * 10_000) / 10_000;

export interface BuildReportInput {
  runId: string;
  campaignId: string;
  status: 'completed' | 'stopped';
  /** ISO UTC time the campaign finished. */
  occurredAt: string;
  counts: AnalyticsCounts;
  /** What the campaign said it dialled (progress / contactCount), null when unknown. */
  expectedCount: number | null;
  /** How long the worker waited for analytics to settle. */
  waitedMs: number;
  /** The UTC interval queried, `start/end`. */
  interval: string;
  /** Whether analytics were judged complete (else written as incomplete after the max wait). */
  complete: boolean;
  generatedAt: string;
}

/** The guide's report, extended (contract: never renamed). Validated against ReportSchema. */
export function buildReport(input: BuildReportInput): Report {
  const { attempted, connected, handleSumMs, handleCount } = input.counts;
  const report: Report = {
    reportId: reportIdFor(input.runId),
    campaignId: input.campaignId,
    completionTimestamp: input.occurredAt,
    metrics: {
      totalCallsAttempted: attempted,
      successfulContacts: connected,
      contactRate: attempted > 0 ? roundRatio(connected / attempted) : 0,
      avgHandleTimeSeconds: handleCount > 0 ? roundRatio(handleSumMs / handleCount / 1000) : 0,
      status: input.status,
    },
    metadata: { generatedBy: REPORT_GENERATED_BY, version: REPORT_VERSION },
    endTime: input.status === 'completed' ? input.occurredAt : null,
    dataComplete: input.complete,
    expectedCount: input.expectedCount,
    observedCount: attempted,
    waitedMs: input.waitedMs,
    interval: input.interval,
    generatedAt: input.generatedAt,
  };
  return v.parse(ReportSchema, report);
}
