import { Redis } from 'ioredis';

export type ProbeResult = { ok: true } | { ok: false; reason: string };

/**
 * Connects to Redis once and sends PING, giving up after `timeoutMs`. No retries: `pnpm start`
 * wants a quick yes or no before it starts anything.
 */
export async function probeRedis(url: string, timeoutMs = 1_500): Promise<ProbeResult> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), timeout]);
    return { ok: true };
  } catch (err) {
    const message =
      (err instanceof Error ? err.message : String(err)) || lastError?.message || 'unknown error';
    return { ok: false, reason: message };
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}

/** The one line `pnpm start` prints when Redis cannot be used. */
export function redisProblemLine(printableUrl: string, reason: string): string {
  if (/NOAUTH|WRONGPASS|invalid password|ERR AUTH/i.test(reason)) {
    return `wrapup: Redis at ${printableUrl} refused the login (${reason.split('\n')[0]}) — check the user and password in REDIS_URL`;
  }
  return `wrapup: Redis is not reachable at ${printableUrl} — start one with "redis-server" or "docker compose up -d redis", or set REDIS_URL`;
}
