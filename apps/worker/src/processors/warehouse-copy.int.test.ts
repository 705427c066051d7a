import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '@wrapup/shared/testing';
import {
  sampleReport,
  sampleRun,
  startWarehouseWorkers,
  type WarehouseWorkers,
} from '../testing/sinks';
import { enqueueWarehouse } from '../queues';

const hourly = [
  { hour: '2023-10-27T08:00:00.000Z', attempted: 500, connected: 150, abandoned: 3 },
  { hour: '2023-10-27T09:00:00.000Z', attempted: 1000, connected: 300, abandoned: 6 },
];

/** The reports console reads the delivered report from Redis: the warehouse stage keeps a copy with the run. */
describe('the report copy kept with the run (real Redis and PostgreSQL)', () => {
  let fx: WarehouseWorkers;

  beforeEach(async () => {
    fx = await startWarehouseWorkers({ name: 'whcopy' });
  });
  afterEach(async () => {
    await fx.close();
  });

  it('is written when the warehouse confirms the report, with its headline on the run; a final revision replaces it', async () => {
    const sample = await sampleRun(fx.runs, {});
    const report = { ...sample.report, campaignName: 'Autumn "win-back"', hourly };
    await enqueueWarehouse(fx.running.queues.warehouse, { runId: sample.runId, report });
    await waitFor(async () => (await fx.runs.get(sample.runId))?.stage === 'delivered', {
      what: 'the run delivered',
    });
    const { run, report: copy } = await fx.runs.getWithReport(sample.runId);
    expect(copy).toEqual({ report, omitted: [] });
    expect(run?.summary).toMatchObject({
      campaignName: 'Autumn "win-back"',
      attempted: 1500,
      connected: 450,
      abandoned: 9,
      connectRate: 0.3,
      abandonRate: 0.02,
      avgHandleSeconds: 120.5,
      dataComplete: true,
      verdict: 'settled',
      revision: 1,
      final: false,
    });

    // the final re-check's write (revision 2, final) replaces the copy; the run stays delivered
    const final = {
      ...sampleReport({ campaignId: report.campaignId, revision: 2, final: true }).report,
      hourly,
    };
    await enqueueWarehouse(
      fx.running.queues.warehouse,
      { runId: sample.runId, report: final, revises: report },
      { jobId: `${report.reportId}-final` },
    );
    await waitFor(async () => (await fx.runs.get(sample.runId))?.finalOutcome !== undefined, {
      what: 'the final revision recorded',
    });
    const after = await fx.runs.getWithReport(sample.runId);
    expect(after.run?.stage).toBe('delivered');
    expect(after.report?.report).toMatchObject({ revision: 2, final: true });
    expect(after.run?.summary).toMatchObject({ revision: 2, final: true });
  });
});
