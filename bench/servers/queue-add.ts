/**
 * Intake floor (b): a Hono route that parses the JSON body and does one BullMQ `queue.add` (with
 * the catalog's analytics job options) before answering 202. Env: PORT, REDIS_URL, QUEUE_PREFIX.
 */
import { Queue, type JobsOptions } from 'bullmq';
import { Hono } from 'hono';
import { ANALYTICS_QUEUE, analyticsJobOptions } from '@wrapup/shared';
import { serveApp } from '@wrapup/ingest';

const queue = new Queue(ANALYTICS_QUEUE, {
  connection: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
  prefix: process.env.QUEUE_PREFIX ?? 'wrapup',
});
await queue.waitUntilReady();
const opts = analyticsJobOptions as JobsOptions;

const app = new Hono();
app.post('/webhooks/genesys', async (c) => {
  const body: unknown = await c.req.json();
  const job = await queue.add('run', body, opts);
  return c.json({ status: 'accepted', jobId: job.id }, 202);
});
app.get('/healthz', (c) => c.json({ status: 'ok' }));

const running = await serveApp(app, { host: '127.0.0.1', port: Number(process.env.PORT ?? '0') });
process.stdout.write(`READY ${running.port}\n`);
process.on(
  'SIGTERM',
  () =>
    void running
      .close(2_000)
      .then(() => queue.close())
      .then(() => process.exit(0)),
);
