import { Cluster, Redis } from 'ioredis';
import { pingAll } from '@wrapup/runs';
import type { Config } from '@wrapup/shared';

export type ProbeResult = { ok: true } | { ok: false; reason: string };

/** What to probe: a REDIS_URL, or the config (a Redis Cluster when REDIS_CLUSTER_NODES is set). */
export type ProbeTarget = string | Pick<Config, 'redisUrl' | 'redisClusterNodes'>;

/**
 * Connects to Redis once and sends PING, giving up after `timeoutMs`. No retries: `pnpm start`
 * wants a quick yes or no before it starts anything. A Redis Cluster answers when every master
 * answers PING and CLUSTER INFO says `cluster_state:ok`.
 */
export async function probeRedis(target: ProbeTarget, timeoutMs = 1_500): Promise<ProbeResult> {
  const url = typeof target === 'string' ? target : target.redisUrl;
  const seeds = typeof target === 'string' ? [] : target.redisClusterNodes;
  const node = {
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  };
  const redis =
    seeds.length > 0
      ? new Cluster(seeds, {
          lazyConnect: true,
          enableOfflineQueue: false,
          clusterRetryStrategy: () => null,
          redisOptions: node,
        })
      : new Redis(url, { lazyConnect: true, ...node });
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([redis.connect().then(() => pingAll(redis as Redis)), timeout]);
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
  if (printableUrl.startsWith('the Redis Cluster '))
    return `wrapup: ${printableUrl} is not reachable or not ok (${reason.split('\n')[0]}) — check REDIS_CLUSTER_NODES, or unset it to use REDIS_URL`;
  return `wrapup: Redis is not reachable at ${printableUrl} — start one with "redis-server" or "docker compose up -d redis", or set REDIS_URL`;
}
