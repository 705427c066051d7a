import type { Queue } from 'bullmq';
import {
  enqueueAnalytics,
  jobFromRun,
  RedisUnavailable,
  replayJobId,
  viaRedis,
  type RunStore,
} from '@wrapup/runs';

export type ReplayOutcome =
  | { kind: 'replayed'; runId: string; jobId: string }
  | { kind: 'not_found' }
  | { kind: 'unavailable'; error: unknown };

/**
 * Runs the campaign's latest report again: a fresh job id `${runId}-replay-<n>` carrying the SAME
 * runId, so the worker rewrites the same report (same reportId) instead of adding one.
 */
export async function replayLatest(
  deps: { runs: RunStore; analytics: Queue; now: () => number },
  campaignId: string,
): Promise<ReplayOutcome> {
  try {
    const [latest] = await viaRedis(() => deps.runs.listForCampaign(campaignId, 1));
    if (!latest) return { kind: 'not_found' };
    const n = await viaRedis(() => deps.runs.markReplay(latest.runId));
    if (n === undefined) return { kind: 'not_found' };
    const jobId = replayJobId(latest.runId, n);
    const job = jobFromRun(latest, jobId, new Date(deps.now()).toISOString(), 'replay');
    await viaRedis(() => enqueueAnalytics(deps.analytics, job, jobId));
    return { kind: 'replayed', runId: latest.runId, jobId };
  } catch (err) {
    if (err instanceof RedisUnavailable) return { kind: 'unavailable', error: err.cause };
    throw err;
  }
}
