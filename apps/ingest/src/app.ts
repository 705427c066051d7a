import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '@wrapup/shared';
import type { RunStore } from '@wrapup/runs';
import { createWebhookAuth } from './auth/webhook-auth';
import { createSlots } from './http/body-slots';
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

export interface IngestApps {
  /** The public listener's app: the webhook and health checks, plus /admin and /metrics without ADMIN_PORT. */
  app: Hono;
  /** With ADMIN_PORT: /admin/* and /metrics, for the second listener; undefined otherwise. */
  admin: Hono | undefined;
}

/**
 * The ingest HTTP app(s). Never listens: main.ts (or a test, or the launcher) serves them. Without
 * `config.ingest.adminPort` everything is on `app`; with it, the admin surface and the metrics
 * move to `admin` and the public app answers 404 there. Both share one metrics registry.
 */
export function createApp(deps: AppDeps): IngestApps {
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
      bodyReadTimeoutMs: config.ingest.bodyReadTimeoutMs,
      unverifiedBodies: createSlots(config.ingest.maxUnverifiedBodies),
      triggerStatuses: config.webhook.triggerStatuses,
      eventTimezone: config.eventTimezone,
      events: config.events,
      maxWindowDays: config.analytics.maxWindowDays,
      now,
      logger,
      metrics,
    }),
  );
  app.route('/', healthRoutes({ redis: deps.redis }));

  const separate = config.ingest.adminPort !== undefined;
  const admin = separate ? new Hono() : app;
  admin.route('/', metricsRoutes(metrics));
  if (config.dashboard) {
    admin.route(
      '/',
      adminRoutes({
        dashboard: config.dashboard,
        runs: deps.runs,
        analytics: deps.queues.analytics,
        boardQueues: queueList(deps.queues),
        reconcile: deps.queues.reconcile,
        events: config.events,
        readOnly: config.dashboardReadOnly,
        logger,
        now,
      }),
    );
  }

  return {
    app: withFallbacks(app, logger),
    admin: separate ? withFallbacks(admin, logger) : undefined,
  };
}

function withFallbacks(app: Hono, logger: Logger): Hono {
  app.notFound((c) => c.json({ error: 'not_found' }, 404));
  app.onError((err, c) => {
    logger.error({ err, path: c.req.path }, 'unhandled error');
    return c.json({ error: 'internal' }, 500);
  });
  return app;
}
