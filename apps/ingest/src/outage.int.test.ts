import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadConfig } from '@wrapup/shared';
import { OwnRedis, freePort, uniquePrefix, waitFor } from '@wrapup/shared/testing';
import { createIngest, type Ingest } from './ingest';
import { serveApp, type RunningServer } from './serve';
import { API_KEY, campaignId, guideEvent } from './testing/app';

let redis: OwnRedis;
let ingest: Ingest;
let server: RunningServer;

beforeAll(async () => {
  redis = new OwnRedis(await freePort());
  await redis.start();
  const config = loadConfig({
    REDIS_URL: `redis://127.0.0.1:${redis.port}`,
    QUEUE_PREFIX: uniquePrefix('outage'),
    WEBHOOK_API_KEYS: API_KEY,
    LOG_LEVEL: 'silent',
    // the shared fixtures are dated 2024-05-01
    EVENT_MAX_AGE_DAYS: '36500',
    RUN_RETENTION_HOURS: '876000',
  });
  ingest = createIngest(config, { logger: pino({ level: 'silent' }) });
  expect(await ingest.ready(5_000)).toBe(true);
  server = await serveApp(ingest.app, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server?.close(1_000);
  await ingest?.close();
  await redis?.kill();
});

const post = (body: object) =>
  fetch(`${server.url}/webhooks/genesys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body: JSON.stringify(body),
  });

describe('Redis outage', () => {
  it('answers 503 with Retry-After within a second while Redis is down, then 202 again once it is back', async () => {
    expect((await post(guideEvent(campaignId('before')))).status).toBe(202);

    await redis.kill();
    const during = guideEvent(campaignId('during'));
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const res = await post(during);
      const ms = performance.now() - started;
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toEqual({ error: 'unavailable' });
      expect(ms).toBeLessThan(1_000);
    }
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/wrapup_ingest_redis_up 0/);

    await redis.start();
    // the sender retries the same event; the ingest reconnects by itself
    const res = await waitFor(
      async () => {
        const r = await post(during);
        return r.status === 202 ? r : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 100, what: 'a 202 after Redis restarted' },
    );
    expect(await res.json()).toMatchObject({ status: 'accepted' });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(await ingest.queues.analytics.count()).toBe(1);
  });
});
