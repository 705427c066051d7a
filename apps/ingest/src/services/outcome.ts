import type { AcceptOutcome } from '@wrapup/runs';

export type { EventTimes } from '@wrapup/runs';
/** Redis failures of a service call become the `unavailable` outcome (503); see @wrapup/runs. */
export { RedisUnavailable, viaRedis, isRedisFailure } from '@wrapup/runs';

/**
 * What became of one webhook delivery; routes/webhook.ts maps each kind to an HTTP answer.
 * The event's own outcomes come from `acceptEvent` (the intake shared with the worker's
 * Notification API listener); `fenced` never happens here (the webhook passes no fence).
 */
export type IngestOutcome =
  | Exclude<AcceptOutcome, { kind: 'fenced' }>
  | { kind: 'unauthorized'; reason: string }
  | { kind: 'too_large'; limit: number }
  | { kind: 'unsupported'; contentType: string }
  /** The body was not fully received within the body-read deadline (408, connection closed). */
  | { kind: 'timeout'; timeoutMs: number; signed: boolean }
  /** Too many signed bodies were already being read (503, Retry-After); not a Redis outage. */
  | { kind: 'busy'; limit: number };

export type OutcomeKind = IngestOutcome['kind'];

export const OUTCOME_KINDS: readonly OutcomeKind[] = [
  'accepted',
  'duplicate',
  'ignored',
  'invalid',
  'unauthorized',
  'too_large',
  'unsupported',
  'timeout',
  'busy',
  'unavailable',
];
