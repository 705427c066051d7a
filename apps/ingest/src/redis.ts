import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * The producer connection: fails fast instead of queueing commands while Redis is away
 * (`enableOfflineQueue: false`, one retry, a command timeout), so an outage is a 503 within a
 * second; it reconnects by itself every <= 1 s.
 */
export function createProducerConnection(
  url: string,
  logger: Logger,
  commandTimeoutMs = 1_000,
): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
  });
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down)
      logger.warn({ err }, 'redis connection lost; answering 503 until it returns');
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
