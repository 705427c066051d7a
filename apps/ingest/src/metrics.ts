import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queue } from 'bullmq';
import { OUTCOME_KINDS, type OutcomeKind } from './services/outcome';
import { withTimeout } from './timeout';

const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'failed',
  'completed',
] as const;

export interface IngestMetrics {
  registry: Registry;
  /** Counts one webhook answer and observes how long it took. */
  observe(outcome: OutcomeKind, seconds: number): void;
}

/** A registry per app instance; queue depths are read from Redis on each scrape. */
export function createMetrics(queues: readonly Queue[], scrapeTimeoutMs = 1_000): IngestMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wrapup_ingest_' });
  const requests = new Counter({
    name: 'wrapup_ingest_requests_total',
    help: 'Webhook deliveries by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of OUTCOME_KINDS) requests.inc({ outcome }, 0);
  const latency = new Histogram({
    name: 'wrapup_ingest_intake_duration_seconds',
    help: 'Time from request to answer for webhook deliveries, by outcome',
    labelNames: ['outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const redisUp = new Gauge({
    name: 'wrapup_ingest_redis_up',
    help: '1 if this scrape could read the queue depths from Redis',
    registers: [],
  });
  new Gauge({
    name: 'wrapup_queue_jobs',
    help: 'Jobs per queue and state (read on scrape)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      try {
        const all = await withTimeout(
          Promise.all(queues.map((q) => q.getJobCounts(...JOB_STATES))),
          scrapeTimeoutMs,
          'queue depth scrape',
        );
        all.forEach((counts, i) => {
          const queue = queues[i]?.name ?? String(i);
          for (const state of JOB_STATES) this.set({ queue, state }, counts[state] ?? 0);
        });
        redisUp.set(1);
      } catch {
        redisUp.set(0);
      }
    },
  });
  registry.registerMetric(redisUp);
  return {
    registry,
    observe(outcome, seconds) {
      requests.inc({ outcome });
      latency.observe({ outcome }, seconds);
    },
  };
}
