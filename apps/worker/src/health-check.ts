/**
 * The worker's health check as a script: exits 0 when the Redis the config names answers (one
 * Redis: PING at REDIS_URL; a Redis Cluster, REDIS_CLUSTER_NODES: every master answers PING and
 * the cluster is ok), else 1. No retries, 2 s at most: `node --import tsx src/health-check.ts`.
 */
import { Cluster, Redis } from 'ioredis';
import { pingAll } from '@wrapup/runs';
import { loadConfig } from '@wrapup/shared';

const config = loadConfig(process.env);
const node = {
  lazyConnect: true,
  connectTimeout: 2_000,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null,
};
const redis =
  config.redisClusterNodes.length > 0
    ? new Cluster(config.redisClusterNodes, {
        lazyConnect: true,
        clusterRetryStrategy: () => null,
        redisOptions: node,
      })
    : new Redis(config.redisUrl, node);
redis.on('error', () => undefined);
const timer = setTimeout(() => process.exit(1), 2_500);
try {
  await redis.connect();
  await pingAll(redis as Redis);
  process.exitCode = 0;
} catch {
  process.exitCode = 1;
} finally {
  clearTimeout(timer);
  redis.disconnect();
}
