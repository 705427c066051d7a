import { Hono } from 'hono';
import type { IngestMetrics } from '../metrics';

/** `GET /metrics`: Prometheus text from this app's registry. */
export function metricsRoutes(metrics: IngestMetrics): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => {
    const body = await metrics.registry.metrics();
    return c.body(body, 200, { 'content-type': metrics.registry.contentType });
  });
  return app;
}
