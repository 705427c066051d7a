import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import { pingAll } from '@wrapup/runs';
import { withTimeout } from '../timeout';

/**
 * `GET /healthz` (the process answers) and `GET /readyz` (Redis answers a PING quickly; on a Redis
 * Cluster every master does and the cluster is ok).
 */
export function healthRoutes(deps: { redis: Redis; pingTimeoutMs?: number }): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await withTimeout(pingAll(deps.redis), deps.pingTimeoutMs ?? 500, 'redis ping');
      return c.json({ status: 'ready' });
    } catch {
      c.header('retry-after', '5');
      return c.json({ status: 'unavailable', redis: 'unreachable' }, 503);
    }
  });
  return app;
}
