import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '@wrapup/shared';
import type { RunStore } from '@wrapup/runs';
import { createWebhookAuth } from './auth/webhook-auth';
import { createMetrics, type IngestMetrics } from './metrics';
import { queueList, type IngestQueues } from './queues';
import { adminRoutes } from './routes/admin';
import { healthRoutes } from './routes/health';
import { metricsRoutes } from './routes/metrics';
import { webhookRoutes } from './routes/webhook';

export interface AppDeps {
  config: Config;
  /** The producer connection (fail-fast); used for /readyz. */
  redis: Redis;
  runs: RunStore;
  queues: IngestQueues;
  logger: Logger;
  /** Created per app when absent. */
  metrics?: IngestMetrics;
  /** Clock (ms) for signature tolerance and timestamps. Default Date.now. */
  now?: () => number;
}

/** The ingest HTTP app. Never listens: main.ts (or a test, or the launcher) serves it. */
export function createApp(deps: AppDeps): Hono {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? createMetrics(queueList(deps.queues));
  const app = new Hono();

  app.route(
    '/',
    webhookRoutes({
      auth: createWebhookAuth(config.webhook),
      runs: deps.runs,
      analytics: deps.queues.analytics,
      maxBodyBytes: config.ingest.maxBodyBytes,
      triggerStatuses: config.webhook.triggerStatuses,
      eventTimezone: config.eventTimezone,
      now,
      logger,
      metrics,
    }),
  );
  app.route('/', healthRoutes({ redis: deps.redis }));
  app.route('/', metricsRoutes(metrics));
  if (config.dashboard) {
    app.route(
      '/',
      adminRoutes({
        dashboard: config.dashboard,
        runs: deps.runs,
        analytics: deps.queues.analytics,
        boardQueues: queueList(deps.queues),
        logger,
        now,
      }),
    );
  }

  app.notFound((c) => c.json({ error: 'not_found' }, 404));
  app.onError((err, c) => {
    logger.error({ err: err.message, stack: err.stack, path: c.req.path }, 'unhandled error');
    return c.json({ error: 'internal' }, 500);
  });
  return app;
}
