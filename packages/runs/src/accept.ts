import type { Queue } from 'bullmq';
import {
  envDefault,
  parseCampaignEvent,
  runIdFor,
  type CampaignFinished,
  type PayloadIssue,
} from '@wrapup/shared';
import { enqueueAnalytics, jobFromEvent, jobFromRun, prepareAnalyticsAdd } from './analytics-job';
import { eventIdFor } from './event-id';
import { RedisUnavailable, viaRedis } from './redis-failure';
import type { DuplicateReason, Fence, RunStore } from './run-store';

/**
 * The one intake path for a campaign event, whatever brought it: the ingest's webhook (after its
 * auth and body read) and the worker's Notification API listener (a WebSocket message) both hand
 * the parsed JSON here: parse, filter, deduplicate, record and enqueue.
 */
export interface AcceptDeps {
  runs: RunStore;
  analytics: Queue;
  triggerStatuses: readonly string[];
  eventTimezone: string;
  /** The event time horizon (EVENT_MAX_AGE_DAYS / EVENT_MAX_FUTURE_SECONDS); default 30 days / 300 s. */
  events?: { maxAgeDays: number; maxFutureSeconds: number } | undefined;
  /** The longest data.durationSeconds accepted, in days (MAX_WINDOW_DAYS); default 31. */
  maxWindowDays?: number | undefined;
  now: () => number;
}

export interface AcceptOptions {
  /** The `webhook-id` header (Standard Webhooks relays): the event's id when present. */
  webhookId?: string | null;
  /** When the event was received (ISO); default `deps.now()`. */
  receivedAt?: string;
  /** a lease that must still be held, checked atomically with the write */
  fence?: Fence;
  /**
   * Date the event by the copy's own time (`dateModified`, the event's sentAt) rather than the
   * later of it and the receipt: a campaign read from a listing minutes after it changed (the
   * sweep, the listener's catch-up). The run is still received `receivedAt`.
   */
  datedByCopy?: boolean;
}

/** The event's own time and when it was received, when they differ in source (logged together). */
export interface EventTimes {
  occurredAt: string;
  sentAt?: string;
  receivedAt?: string;
}

export type AcceptOutcome =
  | { kind: 'accepted'; eventId: string; jobId: string; campaignId: string; times?: EventTimes }
  | {
      kind: 'duplicate';
      eventId: string;
      jobId: string;
      campaignId: string;
      reason: DuplicateReason;
      reenqueued: boolean;
      times?: EventTimes;
    }
  | { kind: 'ignored'; reason: string; eventId?: string; campaignId?: string; times?: EventTimes }
  | { kind: 'invalid'; issues: PayloadIssue[] }
  | { kind: 'unavailable'; error: unknown; eventId?: string; campaignId?: string }
  /** `opts.fence` was given and its lease key no longer holds its token: nothing was written. */
  | { kind: 'fenced' };

/** The config defaults (EVENT_MAX_AGE_DAYS, EVENT_MAX_FUTURE_SECONDS, MAX_WINDOW_DAYS), for deps built without them. */
export const DEFAULT_EVENT_HORIZON = {
  maxAgeDays: envDefault('EVENT_MAX_AGE_DAYS'),
  maxFutureSeconds: envDefault('EVENT_MAX_FUTURE_SECONDS'),
} as const;
export const DEFAULT_MAX_WINDOW_DAYS = envDefault('MAX_WINDOW_DAYS');

type Finish = CampaignFinished & { status: 'completed' | 'stopped' };

/**
 * Parses, filters, deduplicates and enqueues one event (already JSON). Resolves only after the
 * job is in Redis. Never throws for anything a sender can cause; Redis failures become
 * `unavailable`. With `opts.fence`, every write checks the lease in the same script and answers
 * `fenced` (nothing written) once the lease is someone else's or gone.
 */
export async function acceptEvent(
  deps: AcceptDeps,
  json: unknown,
  opts: AcceptOptions = {},
): Promise<AcceptOutcome> {
  const receivedAt = opts.receivedAt ?? new Date(deps.now()).toISOString();
  // receivedAt dates a Notification API message with the later of it and the message's own time;
  // both stay on the event (sentAt, receivedAt). A time too far from it, or a duration longer than
  // the analytics window, is the sender's mistake: `invalid` naming the field, before any Redis call.
  const horizon = deps.events ?? DEFAULT_EVENT_HORIZON;
  const parsed = parseCampaignEvent(json, {
    eventTimezone: deps.eventTimezone,
    receivedAt,
    maxAgeDays: horizon.maxAgeDays,
    maxFutureSeconds: horizon.maxFutureSeconds,
    maxWindowDays: deps.maxWindowDays ?? DEFAULT_MAX_WINDOW_DAYS,
  });
  if (parsed.kind === 'heartbeat') return { kind: 'ignored', reason: 'heartbeat' };
  if (parsed.kind === 'ignored') return { kind: 'ignored', reason: parsed.reason };
  if (parsed.kind === 'invalid') return { kind: 'invalid', issues: parsed.issues };

  const event =
    opts.datedByCopy && parsed.event.sentAt !== undefined
      ? { ...parsed.event, occurredAt: parsed.event.sentAt }
      : parsed.event;
  const eventId = eventIdFor(event, opts.webhookId);
  const times = {
    occurredAt: event.occurredAt,
    sentAt: event.sentAt,
    receivedAt: event.receivedAt,
  };
  const ids = { eventId, campaignId: event.campaignId, times };
  const fence = opts.fence ? { fence: opts.fence } : {};
  try {
    if (!isFinish(event) || !deps.triggerStatuses.includes(event.status)) {
      // Every status seen is remembered, so the next finish can be judged a transition; `on`
      // also remembers the run's first start (kept across stops) and the latest resume.
      // A start is dated by the copy's own time when it has one: the earlier bound keeps the
      // run's window wide (a finish takes the later of its own time and the receipt, see events).
      const at = event.status === 'on' ? (event.sentAt ?? event.occurredAt) : event.occurredAt;
      const seen = await viaRedis(() =>
        deps.runs.recordStatus(event.campaignId, event.status, at, {
          version: event.campaignVersion,
          transitionsOnly: isCopy(event),
          ...fence,
        }),
      );
      if (seen === 'fenced') return { kind: 'fenced' };
      if (seen === 'stale')
        return {
          kind: 'ignored',
          reason: IGNORED_REASONS['stale-copy'],
          ...ids,
        };
      if (event.status === 'on') {
        return {
          kind: 'ignored',
          reason:
            seen === 'same' ? 'campaign still on' : 'campaign turned on; start time remembered',
          ...ids,
        };
      }
      return { kind: 'ignored', reason: `status "${event.status}" starts no report`, ...ids };
    }
    return await intake(deps, event, eventId, receivedAt, opts.fence);
  } catch (err) {
    if (err instanceof RedisUnavailable) return { kind: 'unavailable', error: err.cause, ...ids };
    throw err;
  }
}

/** EventBridge and Notification API events carry a copy of the whole campaign, re-sent on every change. */
const isCopy = (e: CampaignFinished) => e.shape === 'eventbridge' || e.shape === 'notification';

const IGNORED_REASONS = {
  'stale-copy': 'an older copy of the campaign than the last one seen',
  'no-transition': 'the campaign was already in this status (a re-sent copy, e.g. after an edit)',
} as const;

/**
 * One round trip: the intake script deduplicates, records the run and, for a new run, adds its
 * analytics job with BullMQ's own add script, atomically. The job is prepared first (without the
 * start time, which the script adds from what it remembers) and simply not used for a duplicate.
 */
async function intake(
  deps: AcceptDeps,
  event: Finish,
  eventId: string,
  receivedAt: string,
  fence: Fence | undefined,
): Promise<AcceptOutcome> {
  const runId = runIdFor(event.campaignId, event.occurredAt);
  const add = prepareAnalyticsAdd(
    deps.analytics,
    jobFromEvent(event, { runId, eventId }, undefined, receivedAt),
    runId,
  );
  const result = await viaRedis(() =>
    deps.runs.intake(
      {
        eventId,
        campaignId: event.campaignId,
        status: event.status,
        occurredAt: event.occurredAt,
        now: receivedAt,
        ...(event.durationSeconds !== undefined ? { durationSeconds: event.durationSeconds } : {}),
        ...(event.contactCount !== undefined ? { contactCount: event.contactCount } : {}),
        ...(event.campaignVersion !== undefined ? { campaignVersion: event.campaignVersion } : {}),
        transitionsOnly: isCopy(event),
        shape: event.shape,
        ...(fence ? { fence } : {}),
      },
      add,
    ),
  );
  const times = {
    occurredAt: event.occurredAt,
    sentAt: event.sentAt,
    receivedAt: event.receivedAt,
  };
  if (result.outcome === 'fenced') return { kind: 'fenced' };
  if (result.outcome === 'ignored')
    return {
      kind: 'ignored',
      reason: IGNORED_REASONS[result.reason],
      eventId,
      campaignId: event.campaignId,
      times,
    };
  const base = { eventId, jobId: result.runId, campaignId: event.campaignId, times };
  if (result.outcome === 'new') return { kind: 'accepted', ...base };
  if (result.needsEnqueue) {
    // The run is still waiting but its job is gone (removed by hand from the dashboard, or a run
    // recorded by an older ingest that added the job in a second round trip and crashed between
    // the two): add it again under the same jobId, which BullMQ ignores when the job is there.
    // (Not fenced: the intake that asked for it was, and a repeat add is harmless.)
    const job =
      result.reason === 'same-event'
        ? jobFromEvent(event, { runId: result.runId, eventId }, result.startedAt, receivedAt)
        : await viaRedis(() => deps.runs.get(result.runId)).then((run) =>
            run ? jobFromRun(run, eventId, receivedAt) : undefined,
          );
    if (job) await viaRedis(() => enqueueAnalytics(deps.analytics, job, result.runId));
  }
  return { kind: 'duplicate', ...base, reason: result.reason, reenqueued: result.needsEnqueue };
}

const isFinish = (e: CampaignFinished): e is Finish =>
  e.status === 'completed' || e.status === 'stopped';
