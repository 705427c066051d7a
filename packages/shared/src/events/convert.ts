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
}

/**
 * The first present time among `candidates` (path -> value), normalised to ISO UTC. A present but
 * unparseable value is an issue at its path; none present is an issue at the first path
 * (`missing: true`).
 */
export function pickTime(
  candidates: [path: string, value: string | number | null | undefined][],
  opts: ParseOptions,
  missingMessage: string,
): { occurredAt: string } | { issue: PayloadIssue; missing: boolean } {
  for (const [path, value] of candidates) {
    if (value === undefined || value === null || value === '') continue;
    const occurredAt = toUtcIso(value, opts.eventTimezone);
    return occurredAt === undefined
      ? { issue: { path, message: TIMESTAMP_MESSAGE }, missing: false }
      : { occurredAt };
  }
  return { issue: { path: candidates[0]?.[0] ?? '', message: missingMessage }, missing: true };
}

export const orUndefined = <T>(x: T | null | undefined): T | undefined => x ?? undefined;

/** The later of two ISO UTC times. */
export const laterOf = (a: string, b: string): string => (Date.parse(b) > Date.parse(a) ? b : a);
