import { Hono } from 'hono';
import type { Logger } from 'pino';
import { nodeIncoming } from '../http/read-body';
import type { IngestMetrics } from '../metrics';
import { ingestEvent, type IngestEventDeps } from '../services/ingest-event';
import type { IngestOutcome } from '../services/outcome';

export const WEBHOOK_PATH = '/webhooks/genesys';
export const RETRY_AFTER_SECONDS = 5;
/** Retry-After when too many signed bodies are being read at once: a short overload, not an outage. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/** `POST /webhooks/genesys`: runs the service and maps its outcome to the documented HTTP answers (README). */
export function webhookRoutes(
  deps: IngestEventDeps & { logger: Logger; metrics: IngestMetrics },
): Hono {
  const app = new Hono();
  app.post(WEBHOOK_PATH, async (c) => {
    const started = performance.now();
    const outcome = await ingestEvent(deps, c.req.raw, nodeIncoming(c.env));
    const seconds = (performance.now() - started) / 1000;
    deps.metrics.observe(outcome.kind, seconds);
    logOutcome(deps.logger, outcome, seconds);
    return toResponse(outcome);
  });
  return app;
}

export function toResponse(o: IngestOutcome): Response {
  switch (o.kind) {
    case 'accepted':
      return Response.json(
        { status: 'accepted', eventId: o.eventId, jobId: o.jobId },
        { status: 202 },
      );
    case 'duplicate':
      return Response.json(
        { status: 'duplicate', eventId: o.eventId, jobId: o.jobId },
        { status: 200 },
      );
    case 'ignored':
      return Response.json({ status: 'ignored', reason: o.reason }, { status: 200 });
    case 'invalid':
      return Response.json({ error: 'invalid_payload', issues: o.issues }, { status: 400 });
    case 'unauthorized':
      return Response.json({ error: 'unauthorized' }, { status: 401 });
    case 'too_large':
      // Close the connection: the unread rest of the body is discarded, never buffered.
      return Response.json(
        { error: 'payload_too_large', maxBytes: o.limit },
        { status: 413, headers: { connection: 'close' } },
      );
    case 'unsupported':
      return Response.json(
        { error: 'unsupported_media_type', expected: 'application/json' },
        { status: 415 },
      );
    case 'timeout':
      // Close the connection: whatever of the body is still on its way is never read.
      return Response.json(
        { error: 'request_timeout', timeoutMs: o.timeoutMs },
        { status: 408, headers: { connection: 'close' } },
      );
    case 'busy':
      // The body was never read; closing the connection discards it.
      return Response.json(
        { error: 'busy' },
        {
          status: 503,
          headers: { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS), connection: 'close' },
        },
      );
    case 'unavailable':
      return Response.json(
        { error: 'unavailable' },
        { status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } },
      );
  }
}

function logOutcome(logger: Logger, o: IngestOutcome, seconds: number): void {
  const ms = Math.round(seconds * 10_000) / 10;
  switch (o.kind) {
    case 'accepted':
      return logger.info(
        {
          outcome: o.kind,
          eventId: o.eventId,
          campaignId: o.campaignId,
          jobId: o.jobId,
          ...o.times,
          ms,
        },
        'event accepted',
      );
    case 'duplicate':
      return logger.info(
        {
          outcome: o.kind,
          eventId: o.eventId,
          campaignId: o.campaignId,
          jobId: o.jobId,
          reason: o.reason,
          reenqueued: o.reenqueued,
          ...o.times,
          ms,
        },
        'duplicate event',
      );
    case 'ignored':
      return logger.info(
        {
          outcome: o.kind,
          eventId: o.eventId,
          campaignId: o.campaignId,
          reason: o.reason,
          ...o.times,
          ms,
        },
        'event ignored',
      );
    case 'invalid':
      return logger.info({ outcome: o.kind, issues: o.issues.slice(0, 5), ms }, 'invalid payload');
    case 'unauthorized':
      return logger.warn({ outcome: o.kind, reason: o.reason, ms }, 'unauthorized webhook');
    case 'too_large':
      return logger.warn({ outcome: o.kind, limit: o.limit, ms }, 'payload too large');
    case 'unsupported':
      return logger.info(
        { outcome: o.kind, contentType: o.contentType.slice(0, 100), ms },
        'unsupported content type',
      );
    case 'timeout':
      return logger.warn(
        { outcome: o.kind, timeoutMs: o.timeoutMs, signed: o.signed, ms },
        'body not received in time; answered 408',
      );
    case 'busy':
      return logger.warn(
        { outcome: o.kind, limit: o.limit, ms },
        'too many unverified bodies being read; answered 503',
      );
    case 'unavailable':
      return logger.error(
        {
          outcome: o.kind,
          eventId: o.eventId,
          campaignId: o.campaignId,
          err: o.error instanceof Error ? o.error.message : String(o.error),
          ms,
        },
        'redis unavailable; answered 503',
      );
  }
}
