/** Helpers for this app's integration tests (real Redis, a real HTTP server on an ephemeral port). */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, type Config } from '@wrapup/shared';
import { createRedisFixture, type RedisFixture } from '@wrapup/shared/testing';
import { createIngest, type Ingest, type IngestOptions } from '../ingest';
import { serveApp, type RunningServer } from '../serve';

export const SECRET_A = `whsec_${randomBytes(24).toString('base64')}`;
export const SECRET_B = `whsec_${randomBytes(24).toString('base64')}`;
export const API_KEY = `key-${randomBytes(16).toString('hex')}`;
export const API_KEY_2 = `key-${randomBytes(16).toString('hex')}`;
export const DASHBOARD = { user: 'ops', password: 'correct horse battery' };

export interface Harness {
  fx: RedisFixture;
  config: Config;
  ingest: Ingest;
  server: RunningServer;
  url: string;
  /** POSTs to /webhooks/genesys. */
  post(body: string | object, headers?: Record<string, string>): Promise<Response>;
  /** POSTs JSON with an API key. */
  postKeyed(body: object, headers?: Record<string, string>): Promise<Response>;
  /** POSTs JSON signed with `secret` by the standardwebhooks reference library. */
  postSigned(
    body: object | string,
    opts?: { secret?: string; id?: string; at?: Date },
  ): Promise<Response>;
  analyticsJobIds(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startHarness(
  env: Record<string, string> = {},
  opts: IngestOptions = {},
): Promise<Harness> {
  const fx = await createRedisFixture('ingest');
  const config = loadConfig({
    REDIS_URL: fx.redisUrl,
    QUEUE_PREFIX: fx.prefix,
    LOG_LEVEL: 'silent',
    WEBHOOK_SECRET: `${SECRET_A} ${SECRET_B}`,
    WEBHOOK_API_KEYS: `${API_KEY},${API_KEY_2}`,
    MAX_BODY_BYTES: '4096',
    ...env,
  });
  let ingest: Ingest;
  try {
    ingest = createIngest(config, { logger: pino({ level: 'silent' }), ...opts });
  } catch (err) {
    await fx.cleanup();
    throw err;
  }
  if (!(await ingest.ready(5_000))) throw new Error('redis not ready');
  const server = await serveApp(ingest.app, { host: '127.0.0.1', port: 0 });
  const endpoint = `${server.url}/webhooks/genesys`;
  const post = (body: string | object, headers: Record<string, string> = {}) =>
    fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return {
    fx,
    config,
    ingest,
    server,
    url: server.url,
    post,
    postKeyed: (body, headers = {}) => post(body, { 'x-api-key': API_KEY, ...headers }),
    postSigned: (body, o = {}) => {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      const id = o.id ?? `msg_${randomBytes(8).toString('hex')}`;
      const at = o.at ?? new Date();
      const signature = new Webhook(o.secret ?? SECRET_A).sign(id, at, raw);
      return post(raw, {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signature,
      });
    },
    async analyticsJobIds() {
      const jobs = await ingest.queues.analytics.getJobs([
        'waiting',
        'active',
        'delayed',
        'prioritized',
        'completed',
        'failed',
      ]);
      return jobs.map((j) => j.id ?? '').sort();
    },
    async close() {
      await server.close(1_000);
      await ingest.close();
      await fx.cleanup();
    },
  };
}

/**
 * One harness for the whole test file: started before all its tests, closed after them. The
 * returned object reads through to it (use it inside tests and hooks only).
 */
export function useHarness(env: Record<string, string> = {}, opts: IngestOptions = {}): Harness {
  let current: Harness | undefined;
  beforeAll(async () => {
    current = await startHarness(env, opts);
  });
  afterAll(async () => {
    await current?.close();
  });
  return new Proxy({} as Harness, {
    get: (_target, key) => {
      if (!current) throw new Error('the ingest harness is only started inside the tests');
      return Reflect.get(current, key) as unknown;
    },
  });
}

let counter = 0;
/** A unique campaign id per call, so tests never share runs. */
export const campaignId = (label = 'c') =>
  `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export const guideEvent = (
  id: string,
  over: { status?: string; timestamp?: string; durationSeconds?: number } = {},
) => ({
  eventType: `outbound.campaign.${over.status ?? 'completed'}`,
  timestamp: over.timestamp ?? '2024-05-01T10:00:00.000Z',
  data: {
    campaignId: id,
    status: over.status ?? 'completed',
    ...(over.durationSeconds !== undefined ? { durationSeconds: over.durationSeconds } : {}),
    contactCount: 120,
  },
});

export const eventBridgeEvent = (
  id: string,
  over: { campaignStatus?: string; time?: string; eventId?: string } = {},
) => ({
  version: '0',
  id: over.eventId ?? `eb-${randomBytes(6).toString('hex')}`,
  'detail-type': 'v2.outbound.campaigns.{id}',
  source: 'aws.partner/genesys.com/cloud/abc/wrapup',
  account: '123456789012',
  time: over.time ?? '2024-05-01T10:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    topicName: `v2.outbound.campaigns.${id}`,
    version: '2',
    eventBody: { id, name: 'Spring', campaignStatus: over.campaignStatus ?? 'complete' },
    metadata: { CorrelationId: randomBytes(4).toString('hex') },
    timestamp: over.time ?? '2024-05-01T10:00:00Z',
  },
});
