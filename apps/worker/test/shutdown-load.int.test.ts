import { describe, expect, it } from 'vitest';
import { closeAfterEach } from '@wrapup/shared/testing';
import { startPipeline } from '../src/testing/harness';
import { workerSpawner } from '../src/testing/worker-processes';

const RUNS = 20;
const SHUTDOWN_TIMEOUT_MS = 3_000;

describe('SIGTERM with jobs waiting on the rate limiter', () => {
  const closing = closeAfterEach();
  const spawnWorker = workerSpawner(closing);

  it('hands the waiting jobs back at once, exits within SHUTDOWN_TIMEOUT_MS, and another worker reports every run', async () => {
    const p = closing(
      await startPipeline({
        startWorker: false,
        // the default lock (30 s): a job left locked would only come back as stalled, too late here
        env: { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), WORKER_CONCURRENCY: '25' },
      }),
    );
    const endAt = Date.now() - 15 * 60_000;
    const occurredAt = new Date(endAt).toISOString();
    const campaigns: { id: string; attempted: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      const c = await p.sim.createCampaign({ contactCount: 3 });
      const { expected } = await p.sim.runToCompletion(c.id, { durationSeconds: 60, endAt });
      campaigns.push({ id: c.id, attempted: expected.attempted });
    }
    // One Genesys call a second: nearly every job sits in the limiter.
    const slow = spawnWorker({
      ...p.env,
      GENESYS_MAX_RPS: '1',
      GENESYS_BURST: '0',
      LOG_LEVEL: 'info',
    });
    const runIds = await Promise.all(
      campaigns.map((c) =>
        p.finish({ campaignId: c.id, durationSeconds: 60, contactCount: 3, occurredAt }),
      ),
    );
    await expect
      .poll(() => p.analytics.getActiveCount(), { timeout: 20_000, interval: 100 })
      .toBeGreaterThanOrEqual(RUNS - 2);

    const t0 = Date.now();
    const code = await slow.kill('SIGTERM');
    const exitMs = Date.now() - t0;
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(slow.output()).not.toContain('did not finish in time');
    expect(slow.output()).toContain('analytics job handed back');
    // Nothing left locked: every unfinished job is waiting again, none spent an attempt on it.
    const counts = await p.analytics.getJobCounts('active', 'delayed', 'waiting', 'completed');
    expect(counts.active).toBe(0);
    expect(counts.delayed! + counts.waiting! + counts.completed!).toBe(RUNS);
    const handedBack = await p.analytics.getJobs(['delayed', 'waiting']);
    for (const job of handedBack) expect(job.attemptsMade).toBe(0);

    const t1 = Date.now();
    spawnWorker(p.env);
    const runs = await Promise.all(runIds.map((id) => p.waitForRun(id, 30_000)));
    const takeoverMs = Date.now() - t1;
    expect(runs.map((r) => r.stage)).toEqual(runIds.map(() => 'delivered'));
    // Well before a stall (30 s lock) could have handed them over.
    expect(takeoverMs).toBeLessThan(20_000);
    const rows = await p.rows();
    expect(rows).toHaveLength(RUNS);
    const byCampaign = new Map(campaigns.map((c) => [c.id, c.attempted]));
    for (const row of rows)
      expect(row.total_calls_attempted).toBe(byCampaign.get(row.campaign_id as string));
    console.info(
      `shutdown under load: ${counts.delayed! + counts.waiting!} handed back, exit ${exitMs} ms, all delivered ${takeoverMs} ms later`,
    );
  }, 90_000);
});
