import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RECONCILE_QUEUE } from '@wrapup/shared';
import { waitFor } from '@wrapup/shared/testing';
import { startWorkerRuntime, type WorkerRuntime } from '../src';
import { reconcileBaselineKey } from '../src/processors/reconcile';
import type { Pipeline } from '../src/testing/harness';
import {
  startListenerPipeline,
  startListenerRuntime,
  waitForReport,
  waitForSubscribed,
} from '../src/testing/event-source';

/** A campaign run that reports quickly on the simulator. */
const RUN = { durationSeconds: 2, avgHandleMs: 1_500 } as const;
/** RECONCILE_EVERY_MINUTES for the test: a sweep every 600 ms. */
const SWEEP_MINUTES = '0.01';

/**
 * The two sources together, as issue 15 asks: the Notification API listener loses whatever is
 * published while its socket is down (the simulator replays nothing), and the reconciliation sweep
 * reports that finish within one interval; the sweep also subscribes a campaign created later.
 */
describe('the sweep behind the Notification API listener', () => {
  let p: Pipeline | undefined;
  let runtime: WorkerRuntime | undefined;
  let sweeps: Queue | undefined;
  afterEach(async () => {
    await sweeps?.close();
    await runtime?.close(3_000).catch(() => undefined);
    await p?.close();
    sweeps = runtime = p = undefined;
  });

  /** What the completed sweeps returned, oldest first. */
  const sweepResults = async () => {
    const jobs = await (sweeps as Queue).getCompleted();
    return jobs
      .sort((a, b) => (a.finishedOn ?? 0) - (b.finishedOn ?? 0))
      .map((j) => j.returnvalue as { started: number; firstSweep: boolean; listed: number });
  };

  it('reports a finish published while the socket was down, and subscribes a campaign created later', async () => {
    p = await startListenerPipeline({ env: { RECONCILE_EVERY_MINUTES: SWEEP_MINUTES } });
    const pipeline = p;
    sweeps = new Queue(RECONCILE_QUEUE, {
      connection: { url: pipeline.redis.redisUrl },
      prefix: pipeline.redis.prefix,
    });
    const c = await pipeline.sim.createCampaign({ contactCount: 20 });
    runtime = await startListenerRuntime(pipeline);
    await waitForSubscribed(pipeline.sim, [c.id]);
    // the first sweep only records a baseline
    const baseline = reconcileBaselineKey(pipeline.redis.prefix);
    await waitFor(async () => (await pipeline.redis.redis.exists(baseline)) === 1, {
      timeoutMs: 10_000,
      what: 'the first sweep',
    });

    // The network cut: every socket dropped and reconnects refused, then the campaign finishes.
    await pipeline.sim.setSocketsRefused(true);
    expect(await pipeline.sim.dropSockets()).toBeGreaterThan(0);
    const finishedAt = Date.now();
    await pipeline.sim.runToCompletion(c.id, RUN);

    const run = await waitForReport(pipeline, c.id);
    expect(run.stage).toBe('delivered');
    // within about one sweep interval of the finish (plus the analytics settle and the write)
    expect(Date.parse(run.createdAt) - finishedAt).toBeLessThan(600 + 1_500);
    const channels = await pipeline.sim.notifications();
    expect(channels.every((ch) => !ch.connected)).toBe(true); // the listener could not have seen it
    const results = await sweepResults();
    expect(results[0]?.firstSweep).toBe(true);
    expect(results.reduce((n, r) => n + r.started, 0)).toBe(1);

    // A campaign created now: the sweep feeds it to the listener, which subscribes it once the
    // network is back, and its finish arrives over the socket; the first campaign stays one run.
    await pipeline.sim.setSocketsRefused(false);
    const d = await pipeline.sim.createCampaign({ contactCount: 20 });
    await waitForSubscribed(pipeline.sim, [c.id, d.id]);
    await pipeline.sim.runToCompletion(d.id, RUN);
    expect((await waitForReport(pipeline, d.id)).stage).toBe('delivered');
    expect(await pipeline.runs.listForCampaign(c.id)).toHaveLength(1);
    expect(await pipeline.runs.listForCampaign(d.id)).toHaveLength(1);
    const rows = await pipeline.rows();
    expect(rows.map((r) => r.campaign_id).sort()).toEqual([c.id, d.id].sort());
  }, 60_000);

  it('without a sweep, the listener lists campaigns itself: a campaign created later is subscribed', async () => {
    p = await startListenerPipeline(); // RECONCILE_EVERY_MINUTES=0
    const pipeline = p;
    const first = await pipeline.sim.createCampaign({ contactCount: 10 });
    runtime = await startWorkerRuntime(pipeline.config, {
      logger: pino({ level: 'silent' }),
      eventSourceBackoff: { initialMs: 50, maxMs: 500 },
      eventSourceResyncMs: 500,
    });
    await waitForSubscribed(pipeline.sim, [first.id]);
    const later = await pipeline.sim.createCampaign({ contactCount: 20 });
    await waitForSubscribed(pipeline.sim, [first.id, later.id], 5_000);
    await pipeline.sim.runToCompletion(later.id, RUN);
    expect((await waitForReport(pipeline, later.id)).stage).toBe('delivered');
  }, 30_000);
});
