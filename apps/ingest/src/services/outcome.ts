import type { PayloadIssue } from '@wrapup/shared';
import type { DuplicateReason } from '@wrapup/runs';

/** The event's own time and when it was received, when they differ in source (logged together). */
export interface EventTimes {
  occurredAt: string;
  sentAt?: string;
  receivedAt?: string;
}

/** What became of one webhook delivery; routes/webhook.ts maps each kind to an HTTP answer. */
export type IngestOutcome =
  | { kind: 'accepted'; eventId: string; jobId: string; campaignId: string; times?: EventTimes }
  | { kind: 'duplicate'; eventId: string; jobId: string; campaignId: string; reason: DuplicateReason; reenqueued: boolean; times?: EventTimes }
  | { kind: 'ignored'; reason: string; eventId?: string; campaignId?: string; times?: EventTimes }
  | { kind: 'invalid'; issues: PayloadIssue[] }
  | { kind: 'unauthorized'; reason: string }
  | { kind: 'too_large'; limit: number }
  | { kind: 'unsupported'; contentType: string }
  | { kind: 'unavailable'; error: unknown; eventId?: string; campaignId?: string };

export type OutcomeKind = IngestOutcome['kind'];

export const OUTCOME_KINDS: readonly OutcomeKind[] = [
  'accepted',
  'duplicate',
  'ignored',
  'invalid',
  'unauthorized',
  'too_large',
  'unsupported',
  'unavailable',
];

/** Thrown by a Redis call the service makes; it becomes the `unavailable` outcome (503). */
export class RedisUnavailable extends Error {
  constructor(override readonly cause: unknown) {
    super(`redis unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'RedisUnavailable';
  }
}

/** Runs a Redis call, turning any failure into RedisUnavailable. */
export async function viaRedis<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new RedisUnavailable(err);
  }
}
