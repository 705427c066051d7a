import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { finalCheckJobId, type Report } from '@wrapup/shared';
import { waitFor } from '@wrapup/shared/testing';
import { reprocess, startFinalPipeline, type FinalPipeline } from '../src/testing/final-report';

/**
 * The final re-check after Genesys's reprocessing window (FINAL_REPORT_AFTER, here 1.5 s), end to
 * end: the simulator over HTTP, real Redis and PostgreSQL, the notify receiver.
 */
describe('final report after reprocessing (real Redis, PostgreSQL and the simulator over HTTP)', () => {
  let p: FinalPipeline | undefined;
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  /** A finished campaign delivered as revision 1: its run id and the row. */
  async function delivered(pipe: FinalPipeline) {
    const c = await pipe.sim.createCampaign({ contactCount: 20 });
    await pipe.sim.runToCompletion(c.id, { durationSeconds: 2, avgHandleMs: 1500, seed: 7 });
    const runId = await pipe.finish({ campaignId: c.id, durationSeconds: 2, contactCount: 20 });
    const run = await pipe.waitForRun(runId);
    expect(run.stage).toBe('delivered');
    const [row] = await pipe.rows();
    expect(row).toMatchObject({ revision: 1, final: false });
    return { campaignId: c.id, runId, row: row! };
  }

  const finalized = (pipe: FinalPipeline, runId: string, revision = 2) =>
    waitFor(
      async () => {
        const run = await pipe.runs.get(runId);
        return run?.finalizedAt !== undefined && run.revision === revision ? run : undefined;
      },
      { timeoutMs: 15_000, what: `run ${runId} finalized as revision ${revision}` },
    );

  const events = (pipe: FinalPipeline) => pipe.notifications().map((n) => n.event);

  it('rewrites the same row as revision 2, final, silently when nothing changed', async () => {
    p = await startFinalPipeline({ finalReportAfterMs: 1_500 });
    const { campaignId, runId, row: first } = await delivered(p);
    const scheduled = await p.runs.get(runId);
    expect(scheduled?.revision).toBe(1);
    expect(Date.parse(scheduled?.finalDueAt ?? '')).toBeGreaterThan(Date.now() - 1_500);
    const job = await p.queues.analytics.getJob(finalCheckJobId(runId, 1));
    expect(job?.data).toMatchObject({ phase: 'final', runId, delivered: { revision: 1 } });
    expect(await job?.getState()).toBe('delayed');

    const run = await finalized(p, runId);
    // the trail: still delivered, with the revision and when it became final
    expect(run).toMatchObject({ stage: 'delivered', revision: 2, finalOutcome: 'unchanged' });
    const [listed] = await p.runs.listForCampaign(campaignId); // GET /admin/campaigns/:id/runs
    expect(listed).toMatchObject({ runId, revision: 2, finalOutcome: 'unchanged' });
    expect(listed?.finalizedAt).toBe(run.finalizedAt);

    const rows = await p.rows();
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({
      report_id: first.report_id,
      revision: 2,
      final: true,
      total_calls_attempted: first.total_calls_attempted,
      completeness_verdict: 'final-recheck',
    });
    const report = row?.report as Report;
    const before = first.report as Report;
    expect(report.interval).toBe(before.interval);
    expect(report.window).toEqual(before.window);
    expect(report.metrics).toEqual(before.metrics);
    expect(report.completeness).toMatchObject({
      verdict: 'final-recheck',
      recheck: { previousRevision: 1, previousVerdict: 'settled' },
    });

    await sleep(500); // a revised notification would be queued before the run is marked
    expect(events(p)).toEqual(['report.delivered']);
  });

  it('sends report.revised with the changed figures when Genesys reprocessed the data', async () => {
    p = await startFinalPipeline({ finalReportAfterMs: 2_000 });
    const { campaignId, runId, row: first } = await delivered(p);
    const expected = await reprocess(p.sim, campaignId, { extra: 3, acwDeltaMs: 60_000 });
    const attempted = first.total_calls_attempted as number;
    expect(expected.attempted).toBe(attempted + 3);

    const run = await finalized(p, runId);
    expect(run.finalOutcome).toMatch(/^revised: attempts \d+ → \d+ \(\+3\)/);
    const revised = await waitFor(
      () => p!.notifications().find((n) => n.event === 'report.revised'),
      { timeoutMs: 5_000, what: 'report.revised' },
    );
    expect(revised.text).toContain(
      `Campaign ${campaignId} final report: attempts ${attempted} → ${attempted + 3} (+3), `,
    );
    expect(revised.text).toMatch(/AHT \d+\.\d s → \d+\.\d s \(\+\d+\.\d s\)/);
    expect(revised.report).toMatchObject({ revision: 2, final: true });
    expect(revised.previousRevision).toBe(1);
    const figures = revised.changes?.map((c) => c.figure) ?? [];
    expect(figures).toEqual(
      expect.arrayContaining([
        'metrics.totalCallsAttempted',
        'metrics.successfulContacts',
        'metrics.avgHandleTimeSeconds',
        'metrics.handledCalls',
        'metrics.avgAcwSeconds',
      ]),
    );
    expect(revised.changes?.[0]).toEqual({
      figure: 'metrics.totalCallsAttempted',
      label: 'attempts',
      unit: 'count',
      from: attempted,
      to: attempted + 3,
    });

    const rows = await p.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      revision: 2,
      final: true,
      total_calls_attempted: attempted + 3,
      successful_contacts: expected.connected,
    });
    expect(events(p).filter((e) => e === 'report.revised')).toHaveLength(1);
  });

  it('a replay after the final revision rewrites the one row as revision 3, still final', async () => {
    p = await startFinalPipeline({ finalReportAfterMs: 1_000 });
    const { runId } = await delivered(p);
    await finalized(p, runId);
    await p.replay(runId);
    const run = await waitFor(
      async () => {
        const r = await p!.runs.get(runId);
        return r?.stage === 'delivered' && r.revision === 3 ? r : undefined;
      },
      { timeoutMs: 15_000, what: 'the replay delivered' },
    );
    expect(run.replays).toBe(1);
    const rows = await p.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ revision: 3, final: true });
    // final already: no further re-check
    expect(await p.queues.analytics.getJob(finalCheckJobId(runId, 3))).toBeUndefined();
  });

  it('a replay before the re-check supersedes it; the re-check of its revision keeps the due time', async () => {
    p = await startFinalPipeline({ finalReportAfterMs: 2_500 });
    const { runId } = await delivered(p);
    const dueAt = (await p.runs.get(runId))?.finalDueAt;
    await p.replay(runId);
    await waitFor(
      async () => {
        const r = await p!.runs.get(runId);
        return r?.stage === 'delivered' && r.revision === 2;
      },
      { timeoutMs: 15_000, what: 'the replay delivered as revision 2' },
    );
    expect((await p.runs.get(runId))?.finalDueAt).toBe(dueAt);
    expect((await p.rows())[0]).toMatchObject({ revision: 2, final: false });

    const run = await finalized(p, runId, 3);
    expect(Date.parse(run.finalizedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(dueAt ?? '') - 50);
    const superseded = await p.queues.analytics.getJob(finalCheckJobId(runId, 1));
    expect(superseded?.returnvalue).toMatchObject({ outcome: 'skipped' });
    const rows = await p.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ revision: 3, final: true });
  });

  it('a retried or redelivered write schedules the re-check once, due FINAL_REPORT_AFTER after the delivery', async () => {
    p = await startFinalPipeline({ finalReportAfterMs: 60_000 });
    const { runId, row } = await delivered(p);
    const { finalDueAt } = (await p.runs.get(runId)) ?? {};
    const report = row.report as Report;
    // the same write again, as a retried or redelivered warehouse job
    for (const jobId of ['again-1', 'again-2']) {
      const job = await p.queues.warehouse.add('write', { runId, report }, { jobId });
      await expect.poll(() => job.getState(), { timeout: 10_000 }).toBe('completed');
    }
    const delayed = await p.queues.analytics.getDelayed();
    expect(delayed.map((j) => j.id)).toEqual([finalCheckJobId(runId, 1)]);
    const due = delayed[0]!.timestamp + delayed[0]!.delay;
    expect(Math.abs(due - Date.parse(finalDueAt ?? ''))).toBeLessThan(1_000);
    expect(due - (row.written_at as Date).getTime()).toBeGreaterThan(59_000);
    expect((await p.runs.get(runId))?.finalDueAt).toBe(finalDueAt);
    expect(await p.rows()).toHaveLength(1);
  });

  it('the embedded warehouse (PGlite) gets the final revision in the same row too', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wrapup-final-'));
    try {
      p = await startFinalPipeline({
        finalReportAfterMs: 1_000,
        env: { WAREHOUSE_URL: '', DATA_DIR: dataDir },
      });
      expect(p.sink.kind).toBe('embedded');
      const c = await p.sim.createCampaign({ contactCount: 10 });
      await p.sim.runToCompletion(c.id, { durationSeconds: 2, avgHandleMs: 1500, seed: 3 });
      const runId = await p.finish({ campaignId: c.id, durationSeconds: 2, contactCount: 10 });
      expect((await p.waitForRun(runId)).stage).toBe('delivered');
      await reprocess(p.sim, c.id, { extra: 2 });
      await finalized(p, runId);
      await waitFor(() => p!.notifications().find((n) => n.event === 'report.revised'), {
        what: 'report.revised',
      });
      const table = p.config.warehouse.table;
      await p.close();
      p = undefined;
      const db = await PGlite.create(join(dataDir, 'warehouse'));
      try {
        const [schema, name] = table.split('.');
        const { rows } = await db.query<Record<string, unknown>>(
          `select revision, final, completeness_verdict from "${schema}"."${name}"`,
        );
        expect(rows).toEqual([{ revision: 2, final: true, completeness_verdict: 'final-recheck' }]);
      } finally {
        await db.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
    // creating an embedded database takes seconds on a busy machine
  }, 60_000);

  it('FINAL_REPORT_AFTER=0 schedules nothing', async () => {
    p = await startFinalPipeline({ finalReportAfterMs: 0 });
    const { runId } = await delivered(p);
    const run = await p.runs.get(runId);
    expect(run?.finalDueAt).toBeUndefined();
    expect(run?.revision).toBe(1);
    expect(await p.queues.analytics.getJob(finalCheckJobId(runId, 1))).toBeUndefined();
    expect(await p.queues.analytics.getDelayedCount()).toBe(0);
    await sleep(300);
    expect((await p.rows())[0]).toMatchObject({ revision: 1, final: false });
  });
});
