import type { IncomingMessage } from 'node:http';
import type { Queue } from 'bullmq';
import {
  parseCampaignEvent,
  runIdFor,
  type CampaignFinished,
  type PayloadIssue,
} from '@wrapup/shared';
import type { RunStore } from '@wrapup/runs';
import type { WebhookAuth } from '../auth/webhook-auth';
import { isJsonContentType } from '../http/content-type';
import type { Slots } from '../http/body-slots';
import { readBodyLimited } from '../http/read-body';
import { enqueueAnalytics, jobFromEvent, jobFromRun, prepareAnalyticsAdd } from './analytics-job';
import { eventIdFor } from './event-id';
import { RedisUnavailable, viaRedis, type IngestOutcome } from './outcome';

export interface IngestEventDeps {
  auth: WebhookAuth;
  runs: RunStore;
  analytics: Queue;
  maxBodyBytes: number;
  /** The whole body must arrive within this many ms of the headers (else 408). */
  bodyReadTimeoutMs: number;
  /** Bodies being read whose signature is still to be checked; when full, a signed request gets 503. */
  unverifiedBodies: Slots;
  triggerStatuses: readonly string[];
  eventTimezone: string;
  /** The event time horizon (EVENT_MAX_AGE_DAYS / EVENT_MAX_FUTURE_SECONDS); default 30 days / 300 s. */
  events?: { maxAgeDays: number; maxFutureSeconds: number } | undefined;
  /** The longest data.durationSeconds accepted, in days (MAX_WINDOW_DAYS); default 31. */
  maxWindowDays?: number | undefined;
  now: () => number;
}

/** The config defaults, for deps built without them. */
export const DEFAULT_EVENT_HORIZON = { maxAgeDays: 30, maxFutureSeconds: 300 } as const;
export const DEFAULT_MAX_WINDOW_DAYS = 31;

type Finish = CampaignFinished & { status: 'completed' | 'stopped' };

/**
 * One webhook delivery, start to finish: authenticate (headers, then the raw bytes), read at most
 * maxBodyBytes, parse, filter, deduplicate and enqueue. Answers only after the job is in Redis.
 * Never throws for anything a sender can cause; Redis failures become `unavailable`.
 * `incoming` (the Node request under @hono/node-server) lets the body be read without web streams.
 */
export async function ingestEvent(
  deps: IngestEventDeps,
  request: Request,
  incoming?: IncomingMessage,
): Promise<IngestOutcome> {
  const nowMs = deps.now();
  const nowSeconds = Math.floor(nowMs / 1000);
  const pre = deps.auth.precheck(request.headers, nowSeconds);
  if (pre.kind === 'fail') return { kind: 'unauthorized', reason: pre.reason };

  const contentType = request.headers.get('content-type');
  if (!isJsonContentType(contentType))
    return { kind: 'unsupported', contentType: contentType ?? '' };

  // A signature needs the whole body before it can be checked, so anyone can make the ingest
  // read one: such reads are capped in number, and every read has a deadline.
  const signed = pre.kind === 'needs-body';
  const release = signed ? deps.unverifiedBodies.tryAcquire() : undefined;
  if (signed && !release) return { kind: 'busy', limit: deps.unverifiedBodies.limit };
  let bytes: Uint8Array;
  try {
    const read = await readBodyLimited(request, deps.maxBodyBytes, incoming, {
      timeoutMs: deps.bodyReadTimeoutMs,
    });
    if (read.kind === 'too_large') return { kind: 'too_large', limit: deps.maxBodyBytes };
    if (read.kind === 'timeout')
      return { kind: 'timeout', timeoutMs: deps.bodyReadTimeoutMs, signed };
    bytes = read.bytes;
  } catch {
    if (signed) return { kind: 'unauthorized', reason: 'the signed body could not be read' };
    return invalid('', 'the body could not be read');
  } finally {
    release?.();
  }

  if (pre.kind === 'needs-body') {
    const check = deps.auth.verifyBody(pre.signature, bytes, nowSeconds);
    if (!check.ok) return { kind: 'unauthorized', reason: check.reason };
  }

  const json = parseJson(bytes);
  if ('issue' in json) return { kind: 'invalid', issues: [json.issue] };
  // receivedAt dates a Notification API message with the later of it and the message's own time;
  // both stay on the event (sentAt, receivedAt). A time too far from it, or a duration longer than
  // the analytics window, is the sender's mistake: 400 naming the field, before any Redis call.
  const horizon = deps.events ?? DEFAULT_EVENT_HORIZON;
  const parsed = parseCampaignEvent(json.value, {
    eventTimezone: deps.eventTimezone,
    receivedAt: new Date(nowMs).toISOString(),
    maxAgeDays: horizon.maxAgeDays,
    maxFutureSeconds: horizon.maxFutureSeconds,
    maxWindowDays: deps.maxWindowDays ?? DEFAULT_MAX_WINDOW_DAYS,
  });
  if (parsed.kind === 'heartbeat') return { kind: 'ignored', reason: 'heartbeat' };
  if (parsed.kind === 'ignored') return { kind: 'ignored', reason: parsed.reason };
  if (parsed.kind === 'invalid') return { kind: 'invalid', issues: parsed.issues };

  const event = parsed.event;
  const eventId = eventIdFor(event, request.headers.get('webhook-id'));
  const times = {
    occurredAt: event.occurredAt,
    sentAt: event.sentAt,
    receivedAt: event.receivedAt,
  };
  const ids = { eventId, campaignId: event.campaignId, times };
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
        }),
      );
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
    return await intake(deps, event, eventId, new Date(nowMs).toISOString());
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
  deps: IngestEventDeps,
  event: Finish,
  eventId: string,
  receivedAt: string,
): Promise<IngestOutcome> {
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
      },
      add,
    ),
  );
  const times = {
    occurredAt: event.occurredAt,
    sentAt: event.sentAt,
    receivedAt: event.receivedAt,
  };
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

const invalid = (path: string, message: string): IngestOutcome => ({
  kind: 'invalid',
  issues: [{ path, message }],
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(bytes: Uint8Array): { value: unknown } | { issue: PayloadIssue } {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { issue: { path: '', message: 'must be UTF-8 text' } };
  }
  if (text.trim() === '')
    return { issue: { path: '', message: 'must be a JSON object; got an empty body' } };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return {
      issue: {
        path: '',
        message: `must be valid JSON (${err instanceof SyntaxError ? err.message : 'parse error'})`,
      },
    };
  }
}
