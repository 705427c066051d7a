/** What the bench's intake servers (bench/servers/*.ts) share: the queue from env and the serving. */
import { Queue } from 'bullmq';
import type { Hono } from 'hono';
import { ANALYTICS_QUEUE } from '@wrapup/shared';
import { serveApp } from '@wrapup/ingest';

/** The analytics queue on REDIS_URL under QUEUE_PREFIX, ready. */
export async function openAnalyticsQueue(): Promise<Queue> {
  const queue = new Queue(ANALYTICS_QUEUE, {
    connection: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    prefix: process.env.QUEUE_PREFIX ?? 'wrapup',
  });
  await queue.waitUntilReady();
  return queue;
}

/**
 * Adds GET /healthz, serves the app on 127.0.0.1:PORT, writes `READY <port>` on stdout and on
 * SIGTERM closes the server (2 s grace), then the queue if any, then exits.
 */
export async function serveBenchIntake(app: Hono, queue?: Queue): Promise<void> {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  const running = await serveApp(app, {
    host: '127.0.0.1',
    port: Number(process.env.PORT ?? '0'),
  });
  process.stdout.write(`READY ${running.port}\n`);
  process.on(
    'SIGTERM',
    () =>
      void running
        .close(2_000)
        .then(() => queue?.close())
        .then(() => process.exit(0)),
  );
}
