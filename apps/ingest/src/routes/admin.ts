import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Queue } from 'bullmq';
import * as v from 'valibot';
import {
  CAMPAIGN_ID_PATTERN,
  IsoTimeSchema,
  reconcileJobOptions,
  type ReconcileJob,
} from '@wrapup/shared';
import { DEFAULT_EVENT_HORIZON, type RunStore } from '@wrapup/runs';
import { basicAuth } from '../auth/basic';
import { createBoard } from '../admin/board';
import { consoleRoutes } from '../console/routes';
import { sameOriginWrites } from '../admin/same-origin';
import { replayLatest } from '../services/replay';
import { RETRY_AFTER_SECONDS } from './webhook';

export interface AdminDeps {
  dashboard: { user: string; password: string };
  /** Bull Board without write actions (config.dashboardReadOnly); read-only when absent. */
  readOnly?: boolean;
  runs: RunStore;
  analytics: Queue;
  boardQueues: readonly Queue[];
  /** The reconcile queue, for `POST /admin/reconcile`; without it that route answers 404. */
  reconcile?: Queue | undefined;
  /** EVENT_MAX_AGE_DAYS / EVENT_MAX_FUTURE_SECONDS: a backfill's `since` must lie inside them. */
  events?: { maxAgeDays: number; maxFutureSeconds: number } | undefined;
  logger: Logger;
  now: () => number;
}

/** `POST /admin/reconcile?since=<ISO>`: `since` optional (a sweep now), an ISO time with a zone when given. */
const ReconcileQuerySchema = v.object({ since: v.optional(IsoTimeSchema) });
const DAY_MS = 86_400_000;

const unavailable = () =>
  Response.json(
    { error: 'unavailable' },
    { status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } },
  );

/**
 * Everything under `/admin`, behind Basic auth: Bull Board, the reports console, a campaign's
 * runs, replay and the reconciliation sweep (a backfill with `since`). Every
 * write must come from our own origin and carry JSON or no body (see admin/same-origin.ts).
 */
export function adminRoutes(deps: AdminDeps): Hono {
  const app = new Hono();
  const auth = basicAuth(deps.dashboard);
  const sameOrigin = sameOriginWrites();
  app.use('/admin', auth, sameOrigin);
  app.use('/admin/*', auth, sameOrigin);
  app.route(
    '/admin/queues',
    createBoard(deps.boardQueues, '/admin/queues', { readOnly: deps.readOnly ?? true }),
  );
  // the reports console: server-rendered pages, GET only (console/routes.tsx)
  app.route(
    '/admin/reports',
    consoleRoutes({ runs: deps.runs, logger: deps.logger, now: deps.now }),
  );

  app.get('/admin/campaigns/:campaignId/runs', async (c) => {
    const campaignId = c.req.param('campaignId');
    if (!CAMPAIGN_ID_PATTERN.test(campaignId)) return c.json({ error: 'invalid_campaign_id' }, 400);
    try {
      return c.json({ campaignId, runs: await deps.runs.listForCampaign(campaignId) });
    } catch (err) {
      deps.logger.error({ campaignId, err }, 'listing runs failed');
      return unavailable();
    }
  });

  app.post('/admin/campaigns/:campaignId/replay', async (c) => {
    const campaignId = c.req.param('campaignId');
    if (!CAMPAIGN_ID_PATTERN.test(campaignId)) return c.json({ error: 'invalid_campaign_id' }, 400);
    const outcome = await replayLatest(deps, campaignId);
    switch (outcome.kind) {
      case 'not_found':
        return c.json({ error: 'not_found', campaignId }, 404);
      case 'unavailable':
        deps.logger.error(
          { campaignId, err: String(outcome.error) },
          'replay failed: redis unavailable',
        );
        return unavailable();
      case 'replayed':
        deps.logger.info(
          { campaignId, runId: outcome.runId, jobId: outcome.jobId },
          'replay enqueued',
        );
        return c.json({ runId: outcome.runId, jobId: outcome.jobId }, 202);
    }
  });
  /**
   * Adds a reconciliation sweep now; with `since` a backfill: every finished campaign modified at
   * or after it that has no run for that finish gets one (the worker's reconcile processor). Run
   * twice, the second starts nothing. 202 `{status: 'queued', jobId}`; 400 naming `since` when it is
   * no ISO time or lies outside the event horizon (the intake would refuse such finishes anyway).
   */
  app.post('/admin/reconcile', async (c) => {
    const queue = deps.reconcile;
    if (!queue) return c.json({ error: 'not_found' }, 404);
    const raw = c.req.queries('since');
    const invalid = (message: string) =>
      c.json({ error: 'invalid_request', issues: [{ path: 'since', message }] }, 400);
    if (raw !== undefined && raw.length > 1) return invalid('must be given once');
    const parsed = v.safeParse(ReconcileQuerySchema, { since: raw?.[0] });
    if (!parsed.success) return invalid(parsed.issues[0]?.message ?? 'is invalid');
    const { since } = parsed.output;
    if (since !== undefined) {
      const at = Date.parse(since);
      const nowMs = deps.now();
      const horizon = deps.events ?? DEFAULT_EVENT_HORIZON;
      if (at > nowMs + horizon.maxFutureSeconds * 1000) return invalid('must not be in the future');
      if (at < nowMs - horizon.maxAgeDays * DAY_MS)
        return invalid(
          `must be within the last ${horizon.maxAgeDays} days (EVENT_MAX_AGE_DAYS): older finishes are never reported`,
        );
    }
    const data: ReconcileJob = { requestedBy: 'admin', ...(since !== undefined ? { since } : {}) };
    try {
      const job = await queue.add(since ? 'backfill' : 'sweep', data, reconcileJobOptions);
      deps.logger.info({ jobId: job.id, since }, 'reconcile sweep queued');
      return c.json({ status: 'queued', jobId: job.id, ...(since ? { since } : {}) }, 202);
    } catch (err) {
      deps.logger.error({ err }, 'queueing a reconcile sweep failed');
      return unavailable();
    }
  });
  return app;
}
