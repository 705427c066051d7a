import type { CampaignFinished } from './types';
import type { PayloadIssue } from './issues';
import { TIMESTAMP_MESSAGE } from './common';
import { toUtcIso } from '../time';

/** What a shape's converter returns: the event, or why not. */
export type Converted = { event: CampaignFinished } | { issues: PayloadIssue[] };

export interface ParseOptions {
  /** IANA zone for naive timestamps (EVENT_TIMEZONE). */
  eventTimezone: string;
}

/**
 * The first present time among `candidates` (path -> value), normalised to ISO UTC. A present but
 * unparseable value is an issue at its path; none present is an issue at the first path.
 */
export function pickTime(
  candidates: [path: string, value: string | number | null | undefined][],
  opts: ParseOptions,
  missingMessage: string,
): { occurredAt: string } | { issue: PayloadIssue } {
  for (const [path, value] of candidates) {
    if (value === undefined || value === null || value === '') continue;
    const occurredAt = toUtcIso(value, opts.eventTimezone);
    return occurredAt === undefined ? { issue: { path, message: TIMESTAMP_MESSAGE } } : { occurredAt };
  }
  return { issue: { path: candidates[0]?.[0] ?? '', message: missingMessage } };
}

export const orUndefined = <T>(x: T | null | undefined): T | undefined => x ?? undefined;
