import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface RedisFixture {
  /** A fresh QUEUE_PREFIX for this test; every key the test writes should start with it. */
  prefix: string;
  redisUrl: string;
  /** A connection for the test's own checks (closed by cleanup). */
  redis: Redis;
  /** Deletes every key under the prefix and closes the connection. */
  cleanup(): Promise<void>;
}

export const uniquePrefix = (label = 't') => `test-${label}-${randomBytes(5).toString('hex')}`;

export async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

export async function createRedisFixture(label?: string): Promise<RedisFixture> {
  const prefix = uniquePrefix(label);
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return {
    prefix,
    redisUrl: TEST_REDIS_URL,
    redis,
    async cleanup() {
      await deleteKeys(redis, `${prefix}:*`);
      await deleteKeys(redis, `${prefix}*`);
      await redis.quit();
    },
  };
}
