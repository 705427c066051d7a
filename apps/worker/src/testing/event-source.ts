import { pino } from 'pino';
import type { SimOptions, Simulator } from '@wrapup/genesys-sim';
import type { StoredRun } from '@wrapup/runs';
import { waitFor } from '@wrapup/shared/testing';
import { startWorkerRuntime, type WorkerRuntime } from '..';
import { campaignTopic } from '../sources/notification-source';
import { startPipeline, type Pipeline } from './harness';

/**
 * A worker set to the built-in Notification API listener, with small timings: the simulator's
 * heartbeat every 200 ms, a socket taken as dead after 1 s without a message, and the
 * reconciliation sweep off (so every report comes from the listener).
 */
export function listenerEnv(leaseMs: number): Record<string, string> {
  return {
    GENESYS_EVENT_SOURCE: 'websocket',
    EVENT_SOURCE_LEASE_MS: String(leaseMs),
    NOTIFICATION_HEARTBEAT_TIMEOUT_MS: '1000',
    RECONCILE_EVERY_MINUTES: '0',
  };
}

/** A pipeline (simulator, Redis, warehouse) with no worker yet, set up for the listener. */
export function startListenerPipeline(
  opts: { leaseMs?: number; sim?: SimOptions; env?: Record<string, string> } = {},
): Promise<Pipeline> {
  return startPipeline({
    startWorker: false,
    sim: { notificationHeartbeatMs: 200, socketClosingGraceMs: 1_000, ...opts.sim },
    env: { ...listenerEnv(opts.leaseMs ?? 1_500), ...opts.env },
  });
}

/** One more worker runtime on the pipeline's config (the caller closes it), fast reconnects. */
export function startListenerRuntime(p: Pipeline): Promise<WorkerRuntime> {
  return startWorkerRuntime(p.config, {
    logger: pino({ level: 'silent' }),
    eventSourceBackoff: { initialMs: 50, maxMs: 500 },
  });
}

/** The runtimes whose listener leads right now. */
export const leadersOf = (runtimes: readonly WorkerRuntime[]) =>
  runtimes.filter((r) => r.eventSource?.status().leader);

/**
 * Waits until the simulator has a connected channel subscribed to each campaign's topic;
 * answers the live channels.
 */
export function waitForSubscribed(
  sim: Simulator,
  campaignIds: readonly string[],
  timeoutMs = 15_000,
) {
  const wanted = campaignIds.map((id) => campaignTopic(id).toLowerCase());
  return waitFor(
    async () => {
      const channels = await sim.notifications();
      const live = new Set(
        channels.filter((c) => c.connected).flatMap((c) => c.topics.map((t) => t.toLowerCase())),
      );
      return wanted.every((t) => live.has(t)) ? channels : undefined;
    },
    { timeoutMs, intervalMs: 25, what: `connected subscriptions to ${campaignIds.join(', ')}` },
  );
}

const FINAL = ['delivered', 'incomplete', 'rejected', 'failed'];

/** Waits for the campaign's latest run to reach a final stage; answers it. */
export function waitForReport(
  p: Pipeline,
  campaignId: string,
  timeoutMs = 30_000,
): Promise<StoredRun> {
  return waitFor(
    async () => {
      const [run] = await p.runs.listForCampaign(campaignId, 1);
      return run && FINAL.includes(run.stage) ? run : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `a final report for campaign ${campaignId}` },
  );
}
