import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleRun, startWarehouseWorkers, type WarehouseWorkers } from '../testing/sinks';
import { WRITE_AFTER_DELIVERING } from '../queues';
import { keepReport, keptReportKey } from './warehouse-kept';

/** The run trail written with fewer round trips: several stages per call, the kept report dropped in the same call. */
describe('stage trail in one round trip (real Redis and PostgreSQL)', () => {
  let fx: WarehouseWorkers;

  beforeEach(async () => {
    fx = await startWarehouseWorkers({ name: 'trail', workers: false });
  });
  afterEach(async () => {
    await fx.close();
  });

  it('records several stages with their own times in one call; the last one is the stage', async () => {
    const { runId } = await sampleRun(fx.runs);
    const t0 = Date.parse('2024-05-01T10:00:00.000Z');
    await fx.runs.setStage(
      runId,
      [
        { stage: 'validating', at: t0 },
        { stage: 'waiting_for_analytics', at: t0 + 250 },
      ],
      { expectedCount: 7 },
    );
    const run = await fx.runs.get(runId);
    expect(run).toMatchObject({ stage: 'waiting_for_analytics', expectedCount: 7, enqueued: true });
    expect(run?.stages.validating).toBe('2024-05-01T10:00:00.000Z');
    expect(run?.stages.waiting_for_analytics).toBe('2024-05-01T10:00:00.250Z');

    // a final stage at the end of the list releases nothing it does not own and stays final
    await fx.runs.setStage(
      runId,
      [{ stage: 'delivering', at: t0 + 1000 }, { stage: 'delivered' }],
      { outcome: 'delivered' },
    );
    await fx.runs.setStage(runId, [{ stage: 'validating' }, { stage: 'waiting_for_analytics' }], {
      lastError: 'late',
    });
    const final = await fx.runs.get(runId);
    expect(final?.stage).toBe('delivered');
    expect(final?.stages.delivering).toBe('2024-05-01T10:00:01.000Z');
    expect(final?.lastError).toBeUndefined();
  });

  it('deletes the given keys in the same call, even for a missing run, and only under the prefix', async () => {
    const kept = keptReportKey(fx.redisFx.prefix, 'run-missing');
    await fx.redisFx.redis.set(kept, '{}');
    await fx.runs.setStage('run-missing', 'delivered', {}, { deleteKeys: [kept] });
    expect(await fx.redisFx.redis.exists(kept)).toBe(0);
    expect(await fx.redisFx.redis.exists(fx.runs.keys.run('run-missing'))).toBe(0);
    await expect(
      fx.runs.setStage('run-missing', 'delivered', {}, { deleteKeys: ['elsewhere:key'] }),
    ).rejects.toThrow('is not under the prefix');
  });

  it('writes a job queued after the run was marked delivering with one stage call, dropping a kept report', async () => {
    const run = await sampleRun(fx.runs);
    await fx.runs.setStage(run.runId, 'delivering', { reportId: run.report.reportId });
    await keepReport(fx.redisFx.redis, fx.redisFx.prefix, run.runId, run.report, 600);
    const running = await fx.start();
    const stageCalls: string[] = [];
    const monitor = await fx.redisFx.redis.monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase().startsWith('eval') && args.includes(fx.runs.keys.run(run.runId)))
        stageCalls.push(args.join(' '));
    });
    try {
      const queued = Date.now();
      await running.queues.warehouse.add(WRITE_AFTER_DELIVERING, run, {
        jobId: run.report.reportId,
      });
      const job = await running.queues.warehouse.getJob(run.report.reportId);
      await expect
        .poll(async () => (await fx.runs.get(run.runId))?.stage, { timeout: 10_000 })
        .toBe('delivered');
      // the run is marked delivered inside the job; BullMQ completes the job just after
      await expect.poll(async () => job?.getState(), { timeout: 5_000 }).toBe('completed');
      const stored = await fx.runs.get(run.runId);
      expect(Date.parse(stored?.stages.delivering ?? '')).toBeGreaterThanOrEqual(queued - 5);
      expect(Date.parse(stored?.stages.delivering ?? '')).toBeLessThanOrEqual(
        Date.parse(stored?.stages.delivered ?? ''),
      );
      expect(await fx.redisFx.redis.exists(keptReportKey(fx.redisFx.prefix, run.runId))).toBe(0);
      // one stage call for the whole job: delivering + delivered, with the kept report in its keys
      expect(stageCalls).toHaveLength(1);
      expect(stageCalls[0]).toContain(keptReportKey(fx.redisFx.prefix, run.runId));
    } finally {
      monitor.disconnect();
    }
  });
});
