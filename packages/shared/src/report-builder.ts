import * as v from 'valibot';
import { reportIdFor } from './ids';
import {
  REPORT_GENERATED_BY,
  REPORT_VERSION,
  ReportSchema,
  type Completeness,
  type HourlyPoint,
  type Report,
  type ReportWindow,
} from './report';

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

/**
 * The metrics of one report (all in the SDK's ConversationAggregationQuery metrics enum, checked
 * against platform-client-sdk-java): attempts, connects and abandons are counts; handle, talk,
 * hold and after-call work are timers (ms, sum/count). Each posts at its own time (an attempt when
 * dialled, tHandle and tAcw when after-call work ends), which is why the interval reaches a tail
 * past the finish.
 */
export const CAMPAIGN_METRICS = [
  ...['nOutboundAttempted', 'nOutboundConnected', 'nOutboundAbandoned'],
  ...['tHandle', 'tTalk', 'tHeld', 'tAcw'],
] as const;

export interface AnalyticsCounts {
  /** nOutboundAttempted count. */
  attempted: number;
  /** nOutboundConnected count. */
  connected: number;
  /** nOutboundAbandoned count. */
  abandoned: number;
  /** tHandle sum, milliseconds. */
  handleSumMs: number;
  /** tHandle count (conversations an agent handled). */
  handleCount: number;
  talkSumMs: number;
  talkCount: number;
  heldSumMs: number;
  heldCount: number;
  acwSumMs: number;
  acwCount: number;
  /** tHandle count by wrap-up code (the `wrapUpCode` group; NO_WRAP_UP_CODE when the group has none). */
  wrapUps: Record<string, number>;
}

/** The wrap-up code key for handled conversations whose group carries no `wrapUpCode`. */
export const NO_WRAP_UP_CODE = '(none)';

export const zeroCounts = (): AnalyticsCounts => ({
  attempted: 0,
  connected: 0,
  abandoned: 0,
  handleSumMs: 0,
  handleCount: 0,
  talkSumMs: 0,
  talkCount: 0,
  heldSumMs: 0,
  heldCount: 0,
  acwSumMs: 0,
  acwCount: 0,
  wrapUps: {},
});

/** a + b, field by field (the pieces of a split interval). */
export function addCounts(a: AnalyticsCounts, b: AnalyticsCounts): AnalyticsCounts {
  const wrapUps = { ...a.wrapUps };
  for (const [code, n] of Object.entries(b.wrapUps)) wrapUps[code] = (wrapUps[code] ?? 0) + n;
  return {
    attempted: a.attempted + b.attempted,
    connected: a.connected + b.connected,
    abandoned: a.abandoned + b.abandoned,
    handleSumMs: a.handleSumMs + b.handleSumMs,
    handleCount: a.handleCount + b.handleCount,
    talkSumMs: a.talkSumMs + b.talkSumMs,
    talkCount: a.talkCount + b.talkCount,
    heldSumMs: a.heldSumMs + b.heldSumMs,
    heldCount: a.heldCount + b.heldCount,
    acwSumMs: a.acwSumMs + b.acwSumMs,
    acwCount: a.acwCount + b.acwCount,
    wrapUps,
  };
}

/** The numbers the completeness rule compares between checks (wrap-ups follow tHandle). */
export const countsFingerprint = (c: AnalyticsCounts): string =>
  [
    c.attempted,
    c.connected,
    c.abandoned,
    c.handleCount,
    c.handleSumMs,
    c.talkCount,
    c.heldCount,
    c.acwCount,
  ].join(',');

/**
 * Sums the campaign's metrics over every group and data interval that belongs to it: groups whose
 * `group.outboundCampaignId` equals `campaignId`, or that carry no campaign dimension at all (no
 * group, or a group without outboundCampaignId, as when the query filtered by campaign already).
 * Other campaigns' groups are ignored. Missing stats count as 0. When the query also grouped by
 * `wrapUpCode`, the groups are summed back together and tHandle counts are kept per code.
 */
export function extractCounts(resp: AggregatesResponse, campaignId: string): AnalyticsCounts {
  const counts = zeroCounts();
  for (const result of resp.results ?? []) {
    const groupCampaign = result.group?.outboundCampaignId;
    if (groupCampaign !== undefined && groupCampaign !== campaignId) continue;
    const rawCode = result.group?.wrapUpCode;
    const code = typeof rawCode === 'string' && rawCode !== '' ? rawCode : NO_WRAP_UP_CODE;
    for (const entry of result.data ?? []) {
      for (const m of entry.metrics ?? []) {
        const stats = m.stats ?? {};
        switch (m.metric) {
          case 'nOutboundAttempted':
            counts.attempted += num(stats.count);
            break;
          case 'nOutboundConnected':
            counts.connected += num(stats.count);
            break;
          case 'nOutboundAbandoned':
            counts.abandoned += num(stats.count);
            break;
          case 'tHandle':
            counts.handleSumMs += num(stats.sum);
            counts.handleCount += num(stats.count);
            if (num(stats.count) > 0)
              counts.wrapUps[code] = (counts.wrapUps[code] ?? 0) + num(stats.count);
            break;
          case 'tTalk':
            counts.talkSumMs += num(stats.sum);
            counts.talkCount += num(stats.count);
            break;
          case 'tHeld':
            counts.heldSumMs += num(stats.sum);
            counts.heldCount += num(stats.count);
            break;
          case 'tAcw':
            counts.acwSumMs += num(stats.sum);
            counts.acwCount += num(stats.count);
            break;
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
  /** How completeness was judged (v2.1). */
  completeness?: Completeness;
  /** Where the window starts and ends, and why (v2.1). */
  window?: ReportWindow;
  /** 1 for the first report of a run (default). */
  revision?: number;
  final?: boolean;
  /** The campaign's name, when known. */
  campaignName?: string | undefined;
  /** Attempts, connects and abandons per UTC hour of the window, when the query had buckets. */
  hourly?: HourlyPoint[] | undefined;
}

const avgSeconds = (sumMs: number, n: number) => (n > 0 ? roundRatio(sumMs / n / 1000) : 0);

/** Handled conversations by wrap-up code, most first, then by code. */
export function wrapUpBreakdown(
  wrapUps: Record<string, number>,
): { code: string; count: number }[] {
  return Object.entries(wrapUps)
    .filter(([, n]) => n > 0)
    .map(([code, n]) => ({ code, count: n }))
    .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/** The guide's report, extended (v2.0 fields never renamed; README, "The report"). Validated against ReportSchema. */
export function buildReport(input: BuildReportInput): Report {
  const c = input.counts;
  const { attempted, connected } = c;
  const contactRate = attempted > 0 ? roundRatio(connected / attempted) : 0;
  const report: Report = {
    reportId: reportIdFor(input.runId),
    campaignId: input.campaignId,
    completionTimestamp: input.occurredAt,
    metrics: {
      totalCallsAttempted: attempted,
      successfulContacts: connected,
      contactRate,
      avgHandleTimeSeconds: avgSeconds(c.handleSumMs, c.handleCount),
      status: input.status,
      connectedCalls: connected,
      connectRate: contactRate,
      abandonedCalls: c.abandoned,
      abandonRate: connected > 0 ? roundRatio(c.abandoned / connected) : 0,
      handledCalls: c.handleCount,
      avgTalkSeconds: avgSeconds(c.talkSumMs, c.talkCount),
      avgHoldSeconds: avgSeconds(c.heldSumMs, c.heldCount),
      avgAcwSeconds: avgSeconds(c.acwSumMs, c.acwCount),
    },
    metadata: { generatedBy: REPORT_GENERATED_BY, version: REPORT_VERSION },
    endTime: input.status === 'completed' ? input.occurredAt : null,
    dataComplete: input.complete,
    expectedCount: input.expectedCount,
    observedCount: attempted,
    waitedMs: input.waitedMs,
    interval: input.interval,
    generatedAt: input.generatedAt,
    wrapUpCodes: wrapUpBreakdown(c.wrapUps),
    ...(input.completeness ? { completeness: input.completeness } : {}),
    ...(input.window ? { window: input.window } : {}),
    revision: input.revision ?? 1,
    final: input.final ?? false,
    ...(input.campaignName !== undefined ? { campaignName: input.campaignName } : {}),
    ...(input.hourly !== undefined ? { hourly: input.hourly } : {}),
  };
  return v.parse(ReportSchema, report);
}

/** How a figure is shown: a count, a ratio (shown as a percentage) or seconds. */
export type FigureUnit = 'count' | 'ratio' | 'seconds';

/** One figure that differs between two revisions of a report (`from`/`to` null when absent). */
export interface FigureChange {
  /** Where it is in the report: `metrics.totalCallsAttempted`, `wrapUpCodes.SALE`, ... */
  figure: string;
  /** Its short human name: `attempts`, `AHT`, `wrap-up SALE`, ... */
  label: string;
  unit: FigureUnit;
  from: number | null;
  to: number | null;
}

/**
 * The figures a revision is compared on, v2.0's first. connectedCalls and connectRate are left
 * out: the builder makes them the same numbers as successfulContacts and contactRate.
 */
export const COMPARED_FIGURES: readonly {
  key: keyof Report['metrics'];
  label: string;
  unit: FigureUnit;
}[] = [
  { key: 'totalCallsAttempted', label: 'attempts', unit: 'count' },
  { key: 'successfulContacts', label: 'connected', unit: 'count' },
  { key: 'contactRate', label: 'contact rate', unit: 'ratio' },
  { key: 'avgHandleTimeSeconds', label: 'AHT', unit: 'seconds' },
  { key: 'abandonedCalls', label: 'abandoned', unit: 'count' },
  { key: 'abandonRate', label: 'abandon rate', unit: 'ratio' },
  { key: 'handledCalls', label: 'handled', unit: 'count' },
  { key: 'avgTalkSeconds', label: 'avg talk', unit: 'seconds' },
  { key: 'avgHoldSeconds', label: 'avg hold', unit: 'seconds' },
  { key: 'avgAcwSeconds', label: 'avg ACW', unit: 'seconds' },
];

const figure = (x: unknown): number | null => (typeof x === 'number' ? x : null);

/**
 * The figures that changed from `previous` to `next` (the v2.0 and v2.1 metrics, then the
 * wrap-up codes, each code on its own, in `next`'s order then the ones that disappeared). Ratios
 * are already rounded by buildReport, so equal data compares equal. Empty when nothing changed.
 */
export function reportChanges(previous: Report, next: Report): FigureChange[] {
  const changes: FigureChange[] = [];
  for (const { key, label, unit } of COMPARED_FIGURES) {
    const from = figure(previous.metrics[key]);
    const to = figure(next.metrics[key]);
    if (from !== to) changes.push({ figure: `metrics.${key}`, label, unit, from, to });
  }
  const before = new Map((previous.wrapUpCodes ?? []).map((w) => [w.code, w.count]));
  const after = new Map((next.wrapUpCodes ?? []).map((w) => [w.code, w.count]));
  const codes = [...after.keys(), ...[...before.keys()].filter((code) => !after.has(code))];
  for (const code of codes) {
    const from = before.get(code) ?? 0;
    const to = after.get(code) ?? 0;
    if (from !== to)
      changes.push({
        figure: `wrapUpCodes.${code}`,
        label: `wrap-up ${code}`,
        unit: 'count',
        from,
        to,
      });
  }
  return changes;
}
