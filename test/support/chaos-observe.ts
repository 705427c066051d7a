/** Reads back what a chaos run left behind: run records, queue counts, warehouse rows, notifications. */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ANALYTICS_QUEUE, FINAL_STAGES, NOTIFY_QUEUE, WAREHOUSE_QUEUE } from '@wrapup/shared';
import { RunStore, type StoredRun } from '@wrapup/runs';
import type { PgFixture } from '@wrapup/shared/testing';
import type { SentEvent } from './chaos-traffic';

/** What the ingest answered, and what that means for each campaign. */
export function answersOf(sent: readonly SentEvent[]) {
  const byStatus: Record<string, number> = {};
  const answers = sent.flatMap((s) => s.result.answers);
  for (const a of answers) {
    const key = a.status === null ? 'network-error' : String(a.status);
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  }
  /** campaignId -> run ids named by its 202 / 200-duplicate answers. */
  const runsByCampaign = new Map<string, Set<string>>();
  const acceptedRunIds = new Set<string>();
  for (const s of sent) {
    const { status, body } = s.result.final;
    if (status !== 202 && status !== 200) continue;
    const jobId = (body as { jobId?: unknown } | null)?.jobId;
    if (typeof jobId !== 'string') continue;
    const set = runsByCampaign.get(s.campaignId) ?? new Set<string>();
    set.add(jobId);
    runsByCampaign.set(s.campaignId, set);
    if (status === 202) acceptedRunIds.add(jobId);
  }
  return { answers, byStatus, runsByCampaign, acceptedRunIds };
}

export function runStoreFor(redis: Redis, prefix: string) {
  return new RunStore(redis, {
    prefix,
    dedupeTtlSeconds: 3600,
    retentionSeconds: 3600,
    startTtlSeconds: 3600,
  });
}

export async function readRuns(
  runs: RunStore,
  runIds: Iterable<string>,
): Promise<Map<string, StoredRun | undefined>> {
  const ids = [...runIds];
  const found = await Promise.all(ids.map((id) => runs.get(id)));
  return new Map(ids.map((id, i) => [id, found[i]]));
}

export const isFinal = (run: StoredRun | undefined) =>
  run !== undefined && FINAL_STAGES.includes(run.stage);

export interface QueueCounts {
  [queue: string]: Record<string, number>;
}

/** Jobs not yet finished per queue (waiting, active, delayed, prioritized). */
export async function pendingJobs(
  redis: Redis,
  prefix: string,
): Promise<{ total: number; counts: QueueCounts }> {
  const counts: QueueCounts = {};
  let total = 0;
  for (const name of [ANALYTICS_QUEUE, WAREHOUSE_QUEUE, NOTIFY_QUEUE]) {
    const queue = new Queue(name, { connection: redis, prefix });
    try {
      const c = await queue.getJobCounts(
        'waiting',
        'active',
        'delayed',
        'prioritized',
        'failed',
        'completed',
      );
      counts[name] = c;
      total += (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0);
    } finally {
      await queue.close();
    }
  }
  return { total, counts };
}

export interface WarehouseRow {
  report_id: string;
  campaign_id: string;
  status: string;
  total_calls_attempted: number;
  successful_contacts: number;
  complete: boolean;
}

export async function readRows(pg: PgFixture): Promise<WarehouseRow[]> {
  const res = await pg.pool.query<WarehouseRow>(
    `select report_id, campaign_id, status, total_calls_attempted, successful_contacts, complete from ${pg.table()}`,
  );
  return res.rows;
}

/** 2xx-answered notifications per runId and event. */
export function deliveredNotifications(bodies: readonly unknown[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const b of bodies) {
    const n = b as { event?: unknown; runId?: unknown };
    if (typeof n.event !== 'string' || typeof n.runId !== 'string') continue;
    const key = `${n.event} ${n.runId}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
