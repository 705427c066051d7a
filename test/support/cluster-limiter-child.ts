/**
 * One "worker process" of the cluster limiter test: a RateLimiter on its own Redis Cluster
 * connection (REDIS_CLUSTER_NODES, as the worker builds it), `LOOPS` callers acquiring from
 * START_AT for DURATION_MS. Prints the grant times (epoch ms) as one JSON line.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@wrapup/shared';
import { redisTopology } from '@wrapup/runs';
import { RateLimiter } from '@wrapup/worker';

const config = loadConfig(process.env);
const topology = redisTopology(config);
const redis = topology.connect('worker');
redis.on('error', () => undefined);
const limiter = new RateLimiter(redis, {
  prefix: topology.keys.limiter,
  maxPerSecond: Number(process.env.MAX_RPS),
  burst: Number(process.env.BURST),
});
await sleep(Math.max(0, Number(process.env.START_AT) - Date.now()));
const signal = AbortSignal.timeout(Number(process.env.DURATION_MS));
const grants: number[] = [];
await Promise.all(
  Array.from({ length: Number(process.env.LOOPS ?? 4) }, async () => {
    while (!signal.aborted) {
      try {
        await limiter.acquire({ signal });
      } catch {
        return;
      }
      grants.push(Date.now());
    }
  }),
);
process.stdout.write(`${JSON.stringify({ grants, keys: limiter.keys })}\n`);
await redis.quit();
