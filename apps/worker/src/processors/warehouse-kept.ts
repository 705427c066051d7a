import type { Redis } from 'ioredis';
import * as v from 'valibot';
import { ReportSchema, type Report } from '@wrapup/shared';

/** Where a report that could not be written is kept for replay (next to the run records). */
export const keptReportKey = (prefix: string, runId: string) => `${prefix}:runs:report:${runId}`;

export const KEPT_REPORT_TTL_SECONDS = 30 * 24 * 3600;

export async function keepReport(
  redis: Redis,
  prefix: string,
  runId: string,
  report: Report,
  ttlSeconds = KEPT_REPORT_TTL_SECONDS,
): Promise<void> {
  await redis.set(
    keptReportKey(prefix, runId),
    JSON.stringify(report),
    'EX',
    Math.max(1, Math.ceil(ttlSeconds)),
  );
}

/** The kept report of a failed run, if any (undefined when missing or not a valid report). */
export async function loadKeptReport(
  redis: Redis,
  prefix: string,
  runId: string,
): Promise<Report | undefined> {
  const raw = await redis.get(keptReportKey(prefix, runId));
  if (raw === null) return undefined;
  try {
    const parsed = v.safeParse(ReportSchema, JSON.parse(raw));
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}
