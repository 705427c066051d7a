import type { CampaignFinished } from './types';
import type { PayloadIssue } from './issues';
import { TIMESTAMP_MESSAGE } from './common';
import { toUtcIso } from '../time';

/** What a shape's converter returns: the event, a valid message that starts nothing (and why), or why not. */
export type Converted =
  { event: CampaignFinished } | { ignored: string } | { issues: PayloadIssue[] };

export interface ParseOptions {
  /** IANA zone for naive timestamps (EVENT_TIMEZONE). */
  eventTimezone: string;
  /**
   * When the ingest received the body, ISO-8601 UTC. Dates a Notification API message (the later
   * of it and the message's own time); left out, parsing depends on the payload alone.
   */
  receivedAt?: string | undefined;
  /**
   * The event time horizon, measured from receivedAt (else the current time): a time that dates
   * the event and lies more than maxAgeDays before it (EVENT_MAX_AGE_DAYS) or more than
   * maxFutureSeconds after it (EVENT_MAX_FUTURE_SECONDS) is an issue at its path. Left out: no bound.
   */
  maxAgeDays?: number | undefined;
  maxFutureSeconds?: number | undefined;
  /** The guide's data.durationSeconds may cover at most this many days (MAX_WINDOW_DAYS). Left out: no bound. */
  maxWindowDays?: number | undefined;
}

const DAY_MS = 86_400_000;

/**
 * Below this a numeric time is read as epoch seconds (x1000): as milliseconds it would be before
 * 1973-03-03, as seconds it reaches to the year 5138. A relay that sends seconds means seconds.
 */
export const EPOCH_SECONDS_BELOW = 1e11;

/** Why `occurredAt` (ISO UTC) is outside the options' horizon, or undefined when it is inside. */
export function horizonProblem(occurredAt: string, opts: ParseOptions): string | undefined {
  if (opts.maxAgeDays === undefined && opts.maxFutureSeconds === undefined) return undefined;
  const at = Date.parse(occurredAt);
  const received = opts.receivedAt === undefined ? Date.now() : Date.parse(opts.receivedAt);
  const reference = Number.isFinite(received) ? received : Date.now();
  // toUtcIso never returns a time before 1970, so one Date.parse cannot read (past the year 9999,
  // written with more digits) is far in the future.
  if (opts.maxFutureSeconds !== undefined && !(at <= reference + opts.maxFutureSeconds * 1000)) {
    return `is more than ${opts.maxFutureSeconds} s in the future`;
  }
  if (opts.maxAgeDays !== undefined && at < reference - opts.maxAgeDays * DAY_MS) {
    return `is more than ${opts.maxAgeDays} days old`;
  }
  return undefined;
}

/**
 * The first present time among `candidates` (path -> value), normalised to ISO UTC. A number
 * below 1e11 is epoch seconds, any other number epoch milliseconds. A present value that does not
 * parse, or lies outside the options' horizon, is an issue at its path; none present is an issue
 * at the first path (`missing: true`).
 */
export function pickTime(
  candidates: [path: string, value: string | number | null | undefined][],
  opts: ParseOptions,
  missingMessage: string,
): { occurredAt: string } | { issue: PayloadIssue; missing: boolean } {
  for (const [path, value] of candidates) {
    if (value === undefined || value === null || value === '') continue;
    const ms =
      typeof value === 'number' && Math.abs(value) < EPOCH_SECONDS_BELOW ? value * 1000 : value;
    const occurredAt = toUtcIso(ms, opts.eventTimezone);
    if (occurredAt === undefined)
      return { issue: { path, message: TIMESTAMP_MESSAGE }, missing: false };
    const problem = horizonProblem(occurredAt, opts);
    return problem === undefined
      ? { occurredAt }
      : { issue: { path, message: problem }, missing: false };
  }
  return { issue: { path: candidates[0]?.[0] ?? '', message: missingMessage }, missing: true };
}

export const orUndefined = <T>(x: T | null | undefined): T | undefined => x ?? undefined;

/** The later of two ISO UTC times. */
export const laterOf = (a: string, b: string): string => (Date.parse(b) > Date.parse(a) ? b : a);
