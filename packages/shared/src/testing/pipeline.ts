import { createPgFixture, type PgFixture } from './postgres';
import { startJsonReceiver, type JsonReceiver } from './receiver';
import { createRedisFixture, type RedisFixture } from './redis';

/** What a whole-pipeline test runs wrapup against: Redis, the PostgreSQL warehouse, a notify receiver. */
export interface PipelineBackends {
  redis: RedisFixture;
  pg: PgFixture;
  /** Stands in for NOTIFY_URLS (a Slack webhook). */
  receiver: JsonReceiver;
  /** REDIS_URL, QUEUE_PREFIX, WAREHOUSE_URL, WAREHOUSE_TABLE and NOTIFY_URLS pointing at them. */
  env: Record<string, string>;
  /** Stops the receiver, then drops the Redis keys and the PostgreSQL schema. */
  close(): Promise<void>;
}

export async function openPipelineBackends(label: string): Promise<PipelineBackends> {
  const [redis, pg, receiver] = await Promise.all([
    createRedisFixture(label),
    createPgFixture(label),
    startJsonReceiver(),
  ]);
  return {
    redis,
    pg,
    receiver,
    env: {
      REDIS_URL: redis.redisUrl,
      QUEUE_PREFIX: redis.prefix,
      WAREHOUSE_URL: pg.databaseUrl,
      WAREHOUSE_TABLE: pg.table(),
      NOTIFY_URLS: receiver.url,
    },
    async close() {
      await receiver.close();
      await redis.cleanup();
      await pg.cleanup();
    },
  };
}
