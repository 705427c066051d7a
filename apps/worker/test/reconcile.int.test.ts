import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptEvent, type AcceptOutcome } from '@wrapup/runs';
import type { ReconcileJob, ReconcileResult } from '@wrapup/shared';
import { createRedisFixture, waitFor } from '@wrapup/shared/testing';
import { reconcileBaselineKey, scheduleReconcile } from '../src/processors/reconcile';
import { createQueues, redisConnection } from '../src/queues';
import { captureLogger } from '../src/testing/genesys';
import { apiRequests } from '../src/testing/genesys';
import { startPipeline, type Pipeline } from '../src/testing/harness';

/** RECONCILE_EVERY_MINUTES for a sweep every 500 ms. */
const HALF_SECOND = String(500 / 60_000);
const LISTING = '/api/v2/outbound/campaigns';

let p: Pipeline | undefined;
let dir: string | undefined;
afterEach(async () => {
  await p?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  p = dir = undefined;
});

/** Adds one sweep (a backfill with `since`) and answers what it did. */
async function sweep(pipe: Pipeline, data: ReconcileJob = {}): Promise<ReconcileResult> {
  const queue = pipe.runtime!.queues.reconcile;
  const added = await queue.add('sweep', data);
  const done = await waitFor(
    async () => {
      // the state first: a job read before it finished would hold no return value
      const state = await queue.getJobState(added.id!);
      if (state !== 'completed' && state !== 'failed') return undefined;
      const job = await Job.fromId(queue, added.id!);
      if (state === 'failed') return { failed: job?.failedReason ?? 'unknown' };
      return { result: job?.returnvalue as ReconcileResult };
    },
    { timeoutMs: 30_000, what: 'the sweep' },
  );
  if ('failed' in done) throw new Error(`sweep failed: ${done.failed}`);
  return done.result;
}

/** The results of the scheduler's sweeps so far, oldest first. */
async function scheduledSweeps(pipe: Pipeline): Promise<ReconcileResult[]> {
  const jobs = await pipe.runtime!.queues.reconcile.getJobs(['completed']);
  return jobs
    .filter((j) => j.id?.startsWith('repeat:'))
    .sort((a, b) => (a.finishedOn ?? 0) - (b.finishedOn ?? 0))
    .map((j) => j.returnvalue as ReconcileResult);
}

/** Waits until the scheduler has finished `n` more sweeps than `after`. */
async function nextSweeps(pipe: Pipeline, after: number, n = 1): Promise<ReconcileResult[]> {
  return waitFor(
    async () => {
      const all = await scheduledSweeps(pipe);
      return all.length >= after + n ? all : undefined;
    },
    { timeoutMs: 10_000, what: `${n} more scheduled sweep(s)` },
  );
}

const runsOf = (pipe: Pipeline, campaignId: string) => pipe.runs.listForCampaign(campaignId);

/**
 * Runs a campaign of 5 contacts to a finish 10 minutes ago, over 2 seconds, and reports it with
 * a guide event stamped `stampedAfterMs` after that finish.
 */
async function finishTenMinutesAgo(pipe: Pipeline, campaignId: string, stampedAfterMs = 0) {
  const endAt = Date.now() - 10 * 60_000;
  await pipe.sim.runToCompletion(campaignId, { durationSeconds: 2, endAt });
  const runId = await pipe.finish({
    campaignId,
    durationSeconds: 2,
    contactCount: 5,
    occurredAt: new Date(endAt + stampedAfterMs).toISOString(),
  });
  return { endAt, runId };
}

/** What the Notification API (or a relay of it) would deliver for the campaign's latest change. */
async function deliverLatestCopy(pipe: Pipeline, campaignId: string): Promise<AcceptOutcome> {
  const copies = await pipe.sim.copies(campaignId);
  const last = copies[copies.length - 1]!;
  return acceptEvent(
    {
      runs: pipe.runs,
      analytics: pipe.analytics,
      triggerStatuses: ['completed', 'stopped'],
      eventTimezone: 'UTC',
      now: Date.now,
    },
    {
      topicName: `v2.outbound.campaigns.${campaignId}`,
      version: '2',
      eventBody: last.body,
      metadata: { CorrelationId: `ws-${last.version}` },
    },
  );
}

describe('the job scheduler', () => {
  it('is one per queue however many workers set it up; removed with RECONCILE_EVERY_MINUTES=0', async () => {
    const fx = await createRedisFixture('sched');
    const { logger } = captureLogger();
    // two worker processes, each with its own queue object
    const a = createQueues(redisConnection(fx.redisUrl), fx.prefix);
    const b = createQueues(redisConnection(fx.redisUrl), fx.prefix);
    try {
      const t0 = Date.now();
      await scheduleReconcile(a.reconcile, 600_000, logger);
      const [first] = await a.reconcile.getJobs(['delayed']);
      await scheduleReconcile(b.reconcile, 600_000, logger);
      await scheduleReconcile(a.reconcile, 600_000, logger);
      expect(await a.reconcile.getJobSchedulers()).toHaveLength(1);
      const delayed = await a.reconcile.getJobs(['delayed', 'waiting']);
      expect(delayed.map((j) => j.id)).toEqual([first?.id]); // the next sweep kept as it was
      // the first sweep comes one interval after the scheduler is created, not at every start
      const next = (await a.reconcile.getJobScheduler('reconcile-sweep'))?.next ?? 0;
      expect(next).toBeGreaterThanOrEqual(t0 + 600_000);
      expect(next).toBeLessThan(t0 + 610_000);

      await scheduleReconcile(b.reconcile, 0, logger);
      expect(await a.reconcile.getJobSchedulers()).toHaveLength(0);
      expect(await a.reconcile.count()).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await fx.cleanup();
    }
  });
});

describe('the reconciliation sweep (RECONCILE_EVERY_MINUTES)', () => {
  it('first sweep records a baseline and reports no history; a finish whose event never arrived is reported by the next sweep', async () => {
    p = await startPipeline({ env: { RECONCILE_EVERY_MINUTES: HALF_SECOND } });
    // History: finished before wrapup ever looked.
    const old = await p.sim.createCampaign({ contactCount: 5 });
    await p.sim.runToCompletion(old.id, { durationSeconds: 2 });
    const stopped = await p.sim.createCampaign({ contactCount: 5, status: 'off' });
    const running = await p.sim.createCampaign({ contactCount: 5 });

    const [first] = await nextSweeps(p, 0);
    expect(first).toMatchObject({ listed: 3, baseline: 3, started: 0, firstSweep: true });
    expect(await p.redis.redis.get(reconcileBaselineKey(p.redis.prefix))).toBeTruthy();
    expect(await p.runs.campaignState(running.id)).toMatchObject({ status: 'on' });
    for (const c of [old, stopped, running]) expect(await runsOf(p, c.id)).toHaveLength(0);

    // The running campaign completes; no event is delivered anywhere. A campaign created after the
    // baseline completes too: first seen by a sweep, but finished after the baseline.
    const seen = (await scheduledSweeps(p)).length;
    const late = await p.sim.createCampaign({ contactCount: 5 });
    const finishedAt = Date.now();
    await p.sim.runToCompletion(running.id, { durationSeconds: 2, avgHandleMs: 1500 });
    await p.sim.runToCompletion(late.id, { durationSeconds: 2, avgHandleMs: 1500 });
    const [run] = await waitFor(
      async () => {
        const runs = await runsOf(p!, running.id);
        return runs.length > 0 ? runs : undefined;
      },
      { timeoutMs: 5_000, what: 'the sweep to start a run' },
    );
    // within one interval (500 ms) plus a sweep's own time
    expect(Date.now() - finishedAt).toBeLessThan(2_500);
    expect(run).toMatchObject({ status: 'completed', shape: 'notification' });
    const copies = await p.sim.copies(running.id);
    // dated by the campaign's dateModified: the report window ends at the real finish
    expect(run!.occurredAt).toBe(copies[copies.length - 1]!.at);

    const delivered = await p.waitForRun(run!.runId);
    expect(delivered.stage).toBe('delivered');
    const lateRun = (await runsOf(p, late.id))[0];
    expect(lateRun).toBeDefined();
    expect((await p.waitForRun(lateRun!.runId)).stage).toBe('delivered');

    // More sweeps: nothing new, never a second run or row; history stays unreported.
    const after = await nextSweeps(p, seen, 3);
    expect(after.at(-1)).toMatchObject({ listed: 4, started: 0, duplicates: 2 });
    expect(await runsOf(p, running.id)).toHaveLength(1);
    expect(await runsOf(p, late.id)).toHaveLength(1);
    expect(await runsOf(p, old.id)).toHaveLength(0);
    expect(await runsOf(p, stopped.id)).toHaveLength(0);
    const rows = await p.rows();
    expect(rows.map((r) => r.campaign_id).sort()).toEqual([running.id, late.id].sort());
  }, 60_000);

  it('does not report again a finish the intake already took from an event, even one delivered late', async () => {
    p = await startPipeline({ env: { RECONCILE_EVERY_MINUTES: HALF_SECOND } });
    const onTime = await p.sim.createCampaign({ contactCount: 5 });
    const late = await p.sim.createCampaign({ contactCount: 5 });
    await nextSweeps(p, 0); // the baseline: both `on`

    // No sweep between the finishes and their events.
    const queue = p.runtime!.queues.reconcile;
    await queue.pause();
    await p.sim.runToCompletion(onTime.id, { durationSeconds: 2, avgHandleMs: 1500 });
    expect(await deliverLatestCopy(p, onTime.id)).toMatchObject({ kind: 'accepted' });
    // Finished 10 minutes ago; its guide event arrives now, dated by its own late timestamp.
    const { runId: lateRunId } = await finishTenMinutesAgo(p, late.id, 8 * 60_000);
    const seen = (await scheduledSweeps(p)).length;
    await queue.resume();

    const after = await nextSweeps(p, seen, 3);
    for (const result of after.slice(seen)) expect(result.started).toBe(0);
    expect(await runsOf(p, onTime.id)).toHaveLength(1);
    expect((await runsOf(p, late.id)).map((r) => r.runId)).toEqual([lateRunId]);
  }, 60_000);

  it('gives an inventory-rejected campaign no report (its run is rejected)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wrapup-reconcile-'));
    const inventory = join(dir, 'inventory.json');
    await writeFile(inventory, '[]');
    p = await startPipeline({
      env: { RECONCILE_EVERY_MINUTES: HALF_SECOND, INVENTORY_FILE: inventory },
    });
    const known = await p.sim.createCampaign({ contactCount: 5 });
    const unknown = await p.sim.createCampaign({ contactCount: 5 });
    await writeFile(inventory, JSON.stringify([known.id]));
    await nextSweeps(p, 0);

    await p.sim.runToCompletion(known.id, { durationSeconds: 2, avgHandleMs: 1500 });
    await p.sim.runToCompletion(unknown.id, { durationSeconds: 2, avgHandleMs: 1500 });
    const finished = async (id: string) => {
      const [run] = await waitFor(
        async () => {
          const runs = await runsOf(p!, id);
          return runs.length > 0 ? runs : undefined;
        },
        { timeoutMs: 5_000, what: `a run for ${id}` },
      );
      return p!.waitForRun(run!.runId);
    };
    const [ok, rejected] = await Promise.all([finished(known.id), finished(unknown.id)]);
    expect(ok.stage).toBe('delivered');
    expect(rejected.stage).toBe('rejected');
    expect(rejected.outcome).toMatch(/not listed in the inventory/);
    expect((await p.rows()).map((r) => r.campaign_id)).toEqual([known.id]);
  }, 60_000);
});

describe('a backfill (a sweep with `since`)', () => {
  it('on the first sweep, reports a finish whose campaign another source had seen on (no history)', async () => {
    p = await startPipeline({ env: { RECONCILE_EVERY_MINUTES: '0' } });
    const history = await p.sim.createCampaign({ contactCount: 5 });
    await p.sim.runToCompletion(history.id, { durationSeconds: 2, avgHandleMs: 1500 });
    // An `on` event arrived (webhook or listener), then the finish's event was lost.
    const seen = await p.sim.createCampaign({ contactCount: 5 });
    expect(await deliverLatestCopy(p, seen.id)).toMatchObject({ kind: 'ignored' });
    expect((await p.runs.campaignState(seen.id)).status).toBe('on');
    await p.sim.runToCompletion(seen.id, { durationSeconds: 2, avgHandleMs: 1500 });

    expect(await sweep(p)).toMatchObject({ firstSweep: true, baseline: 1, started: 1 });
    expect(await runsOf(p, history.id)).toHaveLength(0);
    const [run] = await runsOf(p, seen.id);
    expect(run?.status).toBe('completed');
  });

  it('reports once each finished campaign modified since then that has no run; run twice, the second starts nothing', async () => {
    p = await startPipeline({ env: { RECONCILE_EVERY_MINUTES: '0' } });
    expect(await p.runtime!.queues.reconcile.getJobSchedulers()).toHaveLength(0);
    const lost = await p.sim.createCampaign({ contactCount: 5 });
    await p.sim.runToCompletion(lost.id, { durationSeconds: 2, avgHandleMs: 1500 });
    // Reported by its event at the finish, then renamed 5 minutes later (dateModified moves on).
    const reported = await p.sim.createCampaign({ contactCount: 5 });
    const { endAt, runId: webhookRun } = await finishTenMinutesAgo(p, reported.id);
    await p.sim.editCampaign(reported.id, { name: 'renamed', at: endAt + 5 * 60_000 });
    // Finished before `since`.
    const older = await p.sim.createCampaign({ contactCount: 5 });
    await p.sim.runToCompletion(older.id, { durationSeconds: 2, endAt: Date.now() - 30 * 60_000 });
    const since = new Date(Date.now() - 20 * 60_000).toISOString();

    // A plain first sweep: the baseline for the two no source has seen, no runs (all three
    // already `complete`; the reported one goes to the intake, which sees no transition).
    expect(await sweep(p)).toMatchObject({ listed: 3, baseline: 2, unchanged: 1, started: 0 });
    expect(await runsOf(p, lost.id)).toHaveLength(0);

    const first = await sweep(p, { since, requestedBy: 'admin' });
    expect(first).toMatchObject({ listed: 3, started: 1, duplicates: 1, since });
    const [run] = await runsOf(p, lost.id);
    expect(run).toBeDefined();
    expect((await p.waitForRun(run!.runId)).stage).toBe('delivered');
    expect((await runsOf(p, reported.id)).map((r) => r.runId)).toEqual([webhookRun]);
    expect(await runsOf(p, older.id)).toHaveLength(0);

    const second = await sweep(p, { since, requestedBy: 'admin' });
    expect(second).toMatchObject({ listed: 3, started: 0, duplicates: 2 });
    expect(await runsOf(p, lost.id)).toHaveLength(1);
    expect(await runsOf(p, reported.id)).toHaveLength(1);
    // and a plain sweep afterwards does not report them either
    expect(await sweep(p)).toMatchObject({ started: 0 });
  }, 60_000);
});

describe('the cost of a sweep', () => {
  it('is one paged listing: 10 calls for 1,000 campaigns, however many finished', async () => {
    p = await startPipeline({ env: { RECONCILE_EVERY_MINUTES: '0' } });
    // Analytics held back, so every Genesys call below is the sweep's.
    await p.runtime!.queues.analytics.pause();
    const ids: string[] = [];
    for (let i = 0; i < 1_000; i++) ids.push((await p.sim.createCampaign({ contactCount: 1 })).id);

    await p.sim.resetLog();
    const baseline = await sweep(p);
    expect(baseline).toMatchObject({ listed: 1_000, baseline: 1_000 });
    const first = await apiRequests(p.sim);
    expect(first.filter((r) => r.path.startsWith(LISTING))).toHaveLength(10);
    expect(first).toHaveLength(10);

    for (const id of ids.slice(0, 50)) await p.sim.runToCompletion(id, { durationSeconds: 1 });
    await p.sim.resetLog();
    const t0 = Date.now();
    const result = await sweep(p);
    const ms = Date.now() - t0;
    expect(result).toMatchObject({ listed: 1_000, started: 50, unchanged: 950 });
    expect(await apiRequests(p.sim)).toHaveLength(10);
    expect(await p.runtime!.queues.analytics.count()).toBe(50);
    console.log(`reconcile sweep over 1000 campaigns (50 finishes): ${ms} ms, 10 API calls`);
  }, 120_000);
});
