import type { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '@wrapup/shared';
import { RunStore, checkPrepareAdd, redisTopology } from '@wrapup/runs';
import { createApp } from './app';
import { authConfigProblem } from './auth-check';
import { createLogger } from './logger';
import { closeQueues, createQueues, queueList, type IngestQueues } from './queues';
import { closeConnection, createProducerConnection } from './redis';
import { withTimeout } from './timeout';

export interface Ingest {
  /** The public listener's app (everything when ADMIN_PORT is unset). */
  app: Hono;
  /** With ADMIN_PORT: the admin listener's app (/admin/*, /metrics). */
  adminApp: Hono | undefined;
  runs: RunStore;
  queues: IngestQueues;
  redis: Redis;
  logger: Logger;
  /**
   * Resolves true once Redis answers and the queues are initialised, false after `timeoutMs`
   * (the ingest still serves then: 503 until Redis comes back).
   */
  ready(timeoutMs?: number): Promise<boolean>;
  /** Closes the queues, and the Redis connection when createIngest made it. */
  close(): Promise<void>;
}

export interface IngestOptions {
  /** A connection to use instead of a fresh fail-fast producer connection (not closed by close()). */
  redis?: Redis;
  logger?: Logger;
  now?: () => number;
}

const HOUR = 3600;

/**
 * Wires the ingest from a Config: connection, queues, run store, app. Throws one line on unusable
 * auth config, or when the installed BullMQ no longer fits the one-round-trip intake.
 */
export function createIngest(config: Config, opts: IngestOptions = {}): Ingest {
  const problem = authConfigProblem(config);
  if (problem) throw new Error(problem);
  const logger = opts.logger ?? createLogger(config);
  // REDIS_URL, or a Redis Cluster (REDIS_CLUSTER_NODES) with hash-tagged keys
  const topology = redisTopology(config);
  const redis = opts.redis ?? createProducerConnection(topology, logger);
  const queues = createQueues(redis, topology.keys.queue, logger);
  checkPrepareAdd(queues.analytics);
  const runs = new RunStore(redis, {
    prefix: topology.keys.runs,
    dedupeTtlSeconds: config.webhook.dedupeTtlHours * HOUR,
    retentionSeconds: config.runRetentionHours * HOUR,
    startTtlSeconds: config.webhook.startTtlHours * HOUR,
    // the same horizon the parser allows event times into the future
    clockSkewSeconds: config.events.maxFutureSeconds,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const { app, admin } = createApp({
    config,
    redis,
    runs,
    queues,
    logger,
    ...(opts.now ? { now: opts.now } : {}),
  });
  let closing: Promise<void> | undefined;
  return {
    app,
    adminApp: admin,
    runs,
    queues,
    redis,
    logger,
    async ready(timeoutMs = 5_000) {
      try {
        await withTimeout(
          Promise.all(queueList(queues).map((q) => q.waitUntilReady())),
          timeoutMs,
          'redis',
        );
        return true;
      } catch {
        return false;
      }
    },
    close() {
      closing ??= (async () => {
        await closeQueues(queues);
        if (!opts.redis) await closeConnection(redis);
      })();
      return closing;
    },
  };
}
