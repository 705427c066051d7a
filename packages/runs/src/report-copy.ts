import * as v from 'valibot';
import { ReportSchema, type Report } from '@wrapup/shared';

/**
 * The headline of a run's delivered report, kept on the run hash (field `summary`, JSON) so a
 * page of runs needs no report reads: what the reports console lists per run.
 */
export const RunSummarySchema = v.object({
  campaignName: v.optional(v.string()),
  attempted: v.number(),
  connected: v.number(),
  abandoned: v.number(),
  connectRate: v.number(),
  abandonRate: v.number(),
  avgHandleSeconds: v.number(),
  dataComplete: v.boolean(),
  /** completeness.verdict, when the report has one (v2.1). */
  verdict: v.optional(v.string()),
  expectedCount: v.nullable(v.number()),
  observedCount: v.number(),
  revision: v.number(),
  final: v.boolean(),
  /** The compliance abandon rate was over its limit (report.compliance.over). */
  complianceOver: v.optional(v.boolean()),
});
export type RunSummary = v.InferOutput<typeof RunSummarySchema>;

const MAX_NAME = 256;

/** The report's headline figures (RunSummary). */
export function summarize(report: Report): RunSummary {
  const m = report.metrics;
  const connected = m.connectedCalls ?? m.successfulContacts;
  const abandoned = m.abandonedCalls ?? 0;
  return {
    ...(report.campaignName !== undefined && {
      campaignName: report.campaignName.slice(0, MAX_NAME),
    }),
    attempted: m.totalCallsAttempted,
    connected,
    abandoned,
    connectRate: m.connectRate ?? m.contactRate,
    abandonRate: m.abandonRate ?? (connected > 0 ? abandoned / connected : 0),
    avgHandleSeconds: m.avgHandleTimeSeconds,
    dataComplete: report.dataComplete,
    ...(report.completeness && { verdict: report.completeness.verdict }),
    expectedCount: report.expectedCount,
    observedCount: report.observedCount,
    revision: report.revision ?? 1,
    final: report.final ?? false,
    ...(report.compliance?.over === true && { complianceOver: true }),
  };
}

/** The summary field's JSON as stored, or undefined when it is missing or broken. */
export function decodeSummary(raw: string | undefined): RunSummary | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    const parsed = v.safeParse(RunSummarySchema, JSON.parse(raw));
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The most a stored report copy may take. A report is a few KB; a 31-day window's hourly series
 * (744 hours) some 60 KB. Past the bound the hourly series is left out, then the wrap-up codes are
 * cut to the largest ones, and the copy says what it left out.
 */
export const MAX_REPORT_COPY_BYTES = 128 * 1024;
const KEPT_CODES = 100;

/** A delivered report as the console reads it: the report, and what was left out to bound it. */
export interface ReportCopy {
  report: Report;
  /** `hourly`, `wrapUpCodes` (cut to the largest KEPT_CODES): what the copy does not hold in full. */
  omitted: string[];
}

const CopySchema = v.object({ report: ReportSchema, omitted: v.array(v.string()) });

/** The copy's JSON, at most MAX_REPORT_COPY_BYTES (see there). */
export function encodeReportCopy(report: Report): string {
  let copy: ReportCopy = { report, omitted: [] };
  let json = JSON.stringify(copy);
  if (Buffer.byteLength(json) > MAX_REPORT_COPY_BYTES && report.hourly !== undefined) {
    const rest: Report = { ...copy.report };
    delete rest.hourly;
    copy = { report: rest, omitted: [...copy.omitted, 'hourly'] };
    json = JSON.stringify(copy);
  }
  if (Buffer.byteLength(json) > MAX_REPORT_COPY_BYTES && copy.report.wrapUpCodes !== undefined) {
    copy = {
      report: { ...copy.report, wrapUpCodes: copy.report.wrapUpCodes.slice(0, KEPT_CODES) },
      omitted: [...copy.omitted, 'wrapUpCodes'],
    };
    json = JSON.stringify(copy);
  }
  if (Buffer.byteLength(json) > MAX_REPORT_COPY_BYTES) {
    // only a campaign name or an id of absurd length gets here: keep the figures
    const rest: Report = { ...copy.report };
    delete rest.campaignName;
    json = JSON.stringify({ report: rest, omitted: [...copy.omitted, 'campaignName'] });
  }
  return json;
}

/** The stored copy, or undefined when it is missing or not a valid report. */
export function decodeReportCopy(raw: string | null | undefined): ReportCopy | undefined {
  if (raw === null || raw === undefined) return undefined;
  try {
    const parsed = v.safeParse(CopySchema, JSON.parse(raw));
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}
