import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadConfig } from '@wrapup/shared';
import { createRedisFixture, freePort, type RedisFixture } from '@wrapup/shared/testing';
import { startWorkerRuntime, type WorkerRuntime } from '../src';

describe('worker start-up', () => {
  let redis: RedisFixture | undefined;
  let runtime: WorkerRuntime | undefined;
  afterEach(async () => {
    await runtime?.close(1_000);
    await redis?.cleanup();
    runtime = redis = undefined;
  });

  it('starts while a PostgreSQL warehouse is down (an outage, retried per write), not refusing to run', async () => {
    redis = await createRedisFixture('rt');
    const closed = await freePort();
    const config = loadConfig({
      REDIS_URL: redis.redisUrl,
      QUEUE_PREFIX: redis.prefix,
      GENESYS_CLIENT_ID: 'id',
      GENESYS_CLIENT_SECRET: 'secret',
      WAREHOUSE_URL: `postgres://postgres@127.0.0.1:${closed}/test`,
    });
    runtime = await startWorkerRuntime(config, { logger: pino({ level: 'silent' }) });
    expect(runtime.sink.kind).toBe('postgres');
    await expect(runtime.sink.write({} as never)).rejects.toThrow();
  });

  it('refuses to start without Genesys credentials, naming the variable', async () => {
    redis = await createRedisFixture('rt');
    const config = loadConfig({ REDIS_URL: redis.redisUrl, QUEUE_PREFIX: redis.prefix });
    await expect(startWorkerRuntime(config, { logger: pino({ level: 'silent' }) })).rejects.toThrow(
      /GENESYS_CLIENT_ID/,
    );
  });
});
