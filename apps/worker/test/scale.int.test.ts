import { describe, expect, it } from 'vitest';
import { closeAfterEach } from '@wrapup/shared/testing';
import { measureWindows } from '../src';
import { startPipeline, type Pipeline } from '../src/testing/harness';
import { workerSpawner } from '../src/testing/worker-processes';

describe('two worker processes on one Redis', () => {
  const closing = closeAfterEach();
  const spawnWorker = workerSpawner(closing);

  /**
   * Runs a campaign of `contactCount` to a finish 15 minutes ago and reports it to one worker
   * process; returns once that worker has the run waiting on its analytics call.
   */
  async function finishOnOneWorker(p: Pipeline, contactCount: number) {
    const c = await p.sim.createCampaign({ contactCount });
    const endAt = Date.now() - 15 * 60_000;
    const { expected } = await p.sim.runToCompletion(c.id, { durationSeconds: 10, endAt });
    const worker = spawnWorker(p.env);
    const runId = await p.finish({
      campaignId: c.id,
      durationSeconds: 10,
      contactCount,
      occurredAt: new Date(endAt).toISOString(),
    });
    await expect
      .poll(async () => (await p.runs.get(runId))?.stage, { timeout: 20_000 })
      .toBe('waiting_for_analytics');
    return { runId, expected, worker };
  }

  it('share 200 finishing campaigns, stay under GENESYS_MAX_RPS in every one-second window, and report each once', async () => {
    const maxRps = 20;
    const burst = 1;
    const p = closing(
      await startPipeline({
        startWorker: false,
        env: {
          GENESYS_MAX_RPS: String(maxRps),
          GENESYS_BURST: String(burst),
          WORKER_CONCURRENCY: '25',
          // one query per run: the backlog of calls keeps the limiter busy (batched, 200 runs take a
          // handful of calls; bench/burst.ts measures that path)
          ANALYTICS_BATCH: 'false',
        },
      }),
    );
    // finished 15 minutes ago: every call's after-call work is over and visible
    const endAt = Date.now() - 15 * 60_000;
    const occurredAt = new Date(endAt).toISOString();
    const campaigns: { id: string; attempted: number; contacts: number }[] = [];
    for (let i = 0; i < 200; i++) {
      const c = await p.sim.createCampaign({ contactCount: 3 + (i % 5) });
      const { expected } = await p.sim.runToCompletion(c.id, { durationSeconds: 120, endAt });
      campaigns.push({
        id: c.id,
        attempted: expected.attempted,
        contacts: expected.contactsCalled,
      });
    }
    await p.sim.resetLog();
    const workers = [spawnWorker(p.env), spawnWorker(p.env)];
    const runIds = await Promise.all(
      campaigns.map((c) =>
        p.finish({ campaignId: c.id, durationSeconds: 120, contactCount: c.contacts, occurredAt }),
      ),
    );

    // 200 runs x 3 calls (the campaign, two checks to see the counts settle) at 20/s is about
    // 30 s of Genesys time; allow for a loaded machine.
    const deadline = Date.now() + 100_000;
    let stages: Record<string, number> = {};
    // Poll lightly: the simulator shares this process, and a busy event loop here would skew
    // the arrival times it logs.
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1_000));
      const pipeline = p.redis.redis.pipeline();
      for (const id of runIds) pipeline.hget(p.runs.keys.run(id), 'stage');
      const results = (await pipeline.exec()) ?? [];
      stages = {};
      for (const [, stage] of results) stages[String(stage)] = (stages[String(stage)] ?? 0) + 1;
      if (stages.delivered === runIds.length) break;
    }
    expect(stages).toEqual({ delivered: 200 });

    const rows = await p.rows();
    expect(rows).toHaveLength(200);
    const byCampaign = new Map(campaigns.map((c) => [c.id, c.attempted]));
    for (const row of rows)
      expect(row.total_calls_attempted).toBe(byCampaign.get(row.campaign_id as string));

    // Every Genesys call of both processes, as the simulator saw them arrive.
    const log = await p.sim.requestLog();
    const times = log.map((r) => Date.parse(r.time)).sort((a, b) => a - b);
    const { maxInAnyWindow, ratePerSecond } = measureWindows(times);
    expect(maxInAnyWindow).toBeLessThanOrEqual(maxRps + burst);
    expect(ratePerSecond).toBeGreaterThanOrEqual(0.9 * maxRps); // a backlog keeps the limit busy
    expect(log.filter((r) => r.status === 429)).toHaveLength(0);
    // Both processes took part.
    const pids = new Set(workers.map((w) => w.child.pid));
    expect(pids.size).toBe(2);
    for (const w of workers) expect(w.child.exitCode).toBeNull();
  }, 150_000);

  it('hands the job of a worker killed with SIGKILL mid-call to another, and the run still yields exactly one report', async () => {
    const p = closing(
      await startPipeline({
        startWorker: false,
        sim: { faults: { latencyMs: 2_500 } }, // every Genesys call takes 2.5 s: the kill lands mid-call
        env: { WORKER_LOCK_DURATION_MS: '1500' },
      }),
    );
    const { runId, expected, worker: victim } = await finishOnOneWorker(p, 20);
    // Validated; the aggregates query is now in flight inside the victim.
    expect(await (await p.analytics.getJob(runId))?.getState()).toBe('active');
    await victim.kill('SIGKILL');
    spawnWorker(p.env); // the survivor

    const run = await p.waitForRun(runId, 40_000);
    expect(run.stage).toBe('delivered');
    const job = await p.analytics.getJob(runId);
    expect(job?.attemptsStarted).toBeGreaterThanOrEqual(2); // picked up again after the stall
    const rows = await p.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.total_calls_attempted).toBe(expected.attempted);
  }, 60_000);

  it('on SIGTERM finishes the call in hand and exits within SHUTDOWN_TIMEOUT_MS; the run completes afterwards', async () => {
    const p = closing(
      await startPipeline({
        startWorker: false,
        sim: { faults: { latencyMs: 1_500 } },
        env: { SHUTDOWN_TIMEOUT_MS: '5000', WORKER_LOCK_DURATION_MS: '2000' },
      }),
    );
    const { runId, worker: first } = await finishOnOneWorker(p, 8);
    const t0 = Date.now();
    const code = await first.kill('SIGTERM');
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000 + 1_000);
    expect(await (await p.analytics.getJob(runId))?.getState()).not.toBe('active'); // nothing left locked

    spawnWorker(p.env);
    expect((await p.waitForRun(runId, 30_000)).stage).toBe('delivered');
    expect(await p.rows()).toHaveLength(1);
  }, 60_000);
});
