/**
 * A worker process for warehouse-crash.int.test.ts: serves the warehouse queue with a short lock
 * so that, once it is SIGKILLed mid-write, another worker takes the job over quickly.
 * Env: REDIS_URL, QUEUE_PREFIX, WAREHOUSE_URL (postgres://), WAREHOUSE_TABLE.
 */
import { Redis } from 'ioredis';
import { RunStore } from '@wrapup/runs';
import { createNotifier } from '../clients/notify/notifier';
import { createWarehouseSink } from '../clients/sinks/factory';
import { createLogger } from '../logger';
import { startWorkers } from '../workers';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const redisUrl = env('REDIS_URL');
const prefix = env('QUEUE_PREFIX');
const logger = createLogger({ level: 'warn' });
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
const runs = new RunStore(redis, {
  prefix,
  dedupeTtlSeconds: 600,
  retentionSeconds: 600,
  startTtlSeconds: 600,
});
const sink = createWarehouseSink(
  { url: env('WAREHOUSE_URL'), table: env('WAREHOUSE_TABLE'), dataDir: '' },
  logger,
);
await startWorkers({
  redisUrl,
  prefix,
  concurrency: 1,
  sink,
  notifier: createNotifier(),
  runs,
  notifyUrls: [],
  logger,
  lockDurationMs: 1_000,
  stalledIntervalMs: 1_000,
});
process.stdout.write('ready\n');
