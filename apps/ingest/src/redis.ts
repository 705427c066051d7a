import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redisTopology, type RedisTopology } from '@wrapup/runs';

/**
 * The producer connection: fails fast instead of queueing commands while Redis is away
 * (`enableOfflineQueue: false`, one retry, a command timeout), so an outage is a 503 within a
 * second; it reconnects by itself every <= 1 s. A REDIS_URL, or the topology the config names (a
 * Redis Cluster client when REDIS_CLUSTER_NODES is set: see redis-topology.ts in @wrapup/runs).
 */
export function createProducerConnection(
  target: string | RedisTopology,
  logger: Logger,
  commandTimeoutMs = 1_000,
): Redis {
  const topology =
    typeof target === 'string'
      ? redisTopology({ redisUrl: target, redisClusterNodes: [], queuePrefix: 'unused' })
      : target;
  const redis = topology.connect('producer', { commandTimeoutMs });
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) logger.warn({ err }, 'redis connection lost; answering 503 until it returns');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('redis connection restored');
    down = false;
  });
  return redis;
}

/** Closes a connection politely, or drops it when Redis is not answering. */
export async function closeConnection(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
