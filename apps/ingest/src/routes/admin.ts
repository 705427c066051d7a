import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Queue } from 'bullmq';
import { CAMPAIGN_ID_PATTERN } from '@wrapup/shared';
import type { RunStore } from '@wrapup/runs';
import { basicAuth } from '../auth/basic';
import { createBoard } from '../admin/board';
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
  logger: Logger;
  now: () => number;
}

const unavailable = () =>
  Response.json(
    { error: 'unavailable' },
    { status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } },
  );

/**
 * Everything under `/admin`, behind Basic auth: Bull Board, a campaign's runs, and replay. Every
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

  app.get('/admin/campaigns/:campaignId/runs', async (c) => {
    const campaignId = c.req.param('campaignId');
    if (!CAMPAIGN_ID_PATTERN.test(campaignId)) return c.json({ error: 'invalid_campaign_id' }, 400);
    try {
      return c.json({ campaignId, runs: await deps.runs.listForCampaign(campaignId) });
    } catch (err) {
      deps.logger.error({ campaignId, err: (err as Error).message }, 'listing runs failed');
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
  return app;
}
