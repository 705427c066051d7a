import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExpectedTotals, Simulator } from '@wrapup/genesys-sim';
import type { Report } from '@wrapup/shared';
import { waitFor } from '@wrapup/shared/testing';
import { startE2eStack, type E2eStack } from './support/e2e-stack';

/**
 * Issue 12, "faithful numbers": the whole pipeline (ingest over HTTP, worker, PostgreSQL) against
 * a simulator that tells the truth a real org would: several attempts per contact, each metric at
 * its own time (handle time when after-call work ends, after the finish), analytics that trickle
 * in with jitter, stop -> stopping -> off and resume with progress carried over, copies re-sent
 * after an edit. Events are the copies the simulator published, delivered as Notification API
 * messages, exactly as a relay would forward them.
 */

const MIN = 60_000;

let stack: E2eStack;
let sim: Simulator;

beforeAll(async () => {
  stack = await startE2eStack({
    name: 'faithful',
    sim: { analyticsLagMs: 300, analyticsLagJitterMs: 600 },
    env: { GENESYS_BURST: '10', ANALYTICS_SETTLE_MS: '600', ANALYTICS_MAX_WAIT_MS: '30000' },
  });
  sim = stack.sim;
});

afterAll(async () => {
  await stack?.close();
});

const runsOf = (campaignId: string) => stack.runsOf(campaignId);
const settled = (campaignId: string, count: number) => stack.settled(campaignId, count, 25_000);
const rowsOf = (campaignId: string) => stack.rowsOf(campaignId);

/** Delivers the campaign's published copy (default the latest) as a Notification API message. */
async function deliver(
  campaignId: string,
  version?: number,
  shape: 'notification' | 'eventbridge' = 'notification',
) {
  const result = await sim.deliverCopy(campaignId, {
    url: stack.webhookUrl,
    shape,
    auth: { apiKey: stack.apiKey },
    ...(version !== undefined ? { version } : {}),
  });
  const answer = result.finals[0];
  return { status: answer?.status, body: answer?.body as { status?: string; reason?: string } };
}

/** The report must equal the simulator's truth for these dials. */
function expectTruth(report: Report, truth: ExpectedTotals) {
  expect(report.metrics.totalCallsAttempted).toBe(truth.attempted);
  expect(report.metrics.successfulContacts).toBe(truth.connected);
  expect(report.metrics.abandonedCalls).toBe(truth.abandoned);
  expect(report.metrics.handledCalls).toBe(truth.handled);
  expect(report.metrics.avgHandleTimeSeconds).toBeCloseTo(
    truth.handleSumMs / truth.handled / 1000,
    3,
  );
  expect(report.metrics.avgAcwSeconds).toBeCloseTo(truth.acw.sumMs / truth.acw.count / 1000, 3);
  const codes = Object.fromEntries((report.wrapUpCodes ?? []).map((w) => [w.code, w.count]));
  expect(codes).toEqual(truth.wrapUpCodes);
  expect(report.dataComplete).toBe(true);
  expect(report.completeness).toMatchObject({
    verdict: 'settled',
    attemptsReachedContacts: true,
    allConnectedHandled: true,
  });
}

describe('faithful numbers against a simulator that tells the truth (issue 12)', () => {
  it('reports a multi-attempt campaign exactly as the final truth, never complete before it is all visible', async () => {
    const c = await sim.createCampaign({ contactCount: 60, status: 'off' });
    await sim.startCampaign(c.id, { at: Date.now() - 10 * MIN });
    expect((await deliver(c.id)).body).toMatchObject({ status: 'ignored' });
    // a busy dialler: ~100 dials over 10 s, closer together than ANALYTICS_SETTLE_MS
    const { expected } = await sim.runToCompletion(c.id, {
      durationSeconds: 10,
      maxAttemptsPerContact: 3,
      recallRate: 0.8,
      connectRate: 0.35,
      abandonRate: 0.1,
      avgHandleMs: 3000,
    });
    // several attempts per contact: attempts alone would say "complete" too early
    expect(expected.attempted).toBeGreaterThan(expected.contactsCalled);
    expect((await deliver(c.id)).status).toBe(202);

    const [run] = await settled(c.id, 1);
    expect(run?.stage).toBe('delivered');
    const [row] = await rowsOf(c.id);
    const report = row?.report as Report;
    expectTruth(report, expected);
    expect(report.expectedCount).toBe(expected.contactsCalled);
    expect(report.completeness?.expectedFrom).toBe('progress');
    // built only after the last metric (the last after-call work) was visible in analytics
    expect(Date.parse(report.generatedAt)).toBeGreaterThanOrEqual(Date.parse(expected.visibleAt!));
    expect(row).toMatchObject({
      abandoned_calls: expected.abandoned,
      handled_calls: expected.handled,
      completeness_verdict: 'settled',
      revision: 1,
      final: false,
    });
    expect(report.metadata.version).toBe('2.1');
  });

  it('counts the handle time of after-call work that ends after the finish', async () => {
    const c = await sim.createCampaign({ contactCount: 12, status: 'off' });
    await sim.startCampaign(c.id, { at: Date.now() - 5 * MIN });
    await deliver(c.id);
    // finishing now with long calls: the last talk and wrap-up end seconds after the finish
    const { expected } = await sim.runToCompletion(c.id, {
      durationSeconds: 20,
      maxAttemptsPerContact: 1,
      connectRate: 1,
      avgHandleMs: 6000,
    });
    expect(Date.parse(expected.lastEnd!)).toBeGreaterThan(Date.parse(expected.lastDial!) + 1000);
    expect((await deliver(c.id)).status).toBe(202);

    const [run] = await settled(c.id, 1);
    expect(run?.stage).toBe('delivered');
    const report = (await rowsOf(c.id))[0]?.report as Report;
    expectTruth(report, expected);
    expect(report.window).toMatchObject({ startFrom: 'first-start', endFrom: 'tail' });
    expect(Date.parse(report.window!.end)).toBeGreaterThan(Date.parse(expected.lastEnd!));
  });

  it('stop, resume, complete: one interim stopped report and one completed report for the whole run', async () => {
    const c = await sim.createCampaign({ contactCount: 40, status: 'off' });
    await sim.startCampaign(c.id, { at: Date.now() - 30 * MIN });
    await deliver(c.id);
    const firstOn = (await sim.copies(c.id)).at(-1)!;

    const stop = await sim.stopCampaign(c.id, {
      fraction: 0.5,
      durationSeconds: 300,
      endAt: Date.now() - 20 * MIN,
      avgHandleMs: 2000,
    });
    const stopCopies = (await sim.copies(c.id)).slice(-2);
    expect(stopCopies.map((x) => x.campaignStatus)).toEqual(['stopping', 'off']);
    expect((await deliver(c.id, stopCopies[0]!.version)).body).toMatchObject({ status: 'ignored' });
    expect((await deliver(c.id, stopCopies[1]!.version)).status).toBe(202);
    const [stoppedRun] = await settled(c.id, 1);
    expect(stoppedRun).toMatchObject({ status: 'stopped', stage: 'delivered' });

    await sim.startCampaign(c.id, { at: Date.now() - 10 * MIN });
    await deliver(c.id);
    const done = await sim.runToCompletion(c.id, {
      durationSeconds: 300,
      endAt: Date.now() - 2 * MIN,
      avgHandleMs: 2000,
    });
    // progress carried over: the contacts of both segments
    expect(done.expected.contactsCalled).toBe(40);
    expect((await deliver(c.id)).status).toBe(202);

    const runs = await settled(c.id, 2);
    expect(runs.map((r) => [r.status, r.stage])).toEqual([
      ['completed', 'delivered'],
      ['stopped', 'delivered'],
    ]);
    const [stoppedRow, completedRow] = await rowsOf(c.id);
    const stopped = stoppedRow?.report as Report;
    const completed = completedRow?.report as Report;
    // the interim report: the first segment, complete
    expectTruth(stopped, stop.expected);
    expect(stopped.endTime).toBeNull();
    expect(stopped.expectedCount).toBe(stop.expected.contactsCalled);
    // the completed report: the whole run from its first start, across the pause
    expectTruth(completed, done.expected);
    expect(completed.expectedCount).toBe(40);
    expect(completed.window?.start).toBe(new Date(Date.parse(firstOn.at) - 5 * MIN).toISOString());
    expect(completed.metrics.totalCallsAttempted).toBeGreaterThan(
      stopped.metrics.totalCallsAttempted,
    );
  });

  it('an edit that re-sends the finished campaign creates no new run and no new row', async () => {
    const c = await sim.createCampaign({ contactCount: 10, status: 'off' });
    await sim.startCampaign(c.id, { at: Date.now() - 5 * MIN });
    await deliver(c.id);
    // EventBridge dates the finish by Genesys's own detail.timestamp: two minutes ago
    await sim.runToCompletion(c.id, {
      durationSeconds: 60,
      endAt: Date.now() - 2 * MIN,
      avgHandleMs: 1500,
    });
    expect((await deliver(c.id, undefined, 'eventbridge')).status).toBe(202);
    await settled(c.id, 1);

    const edited = await sim.editCampaign(c.id, { name: 'Renamed after the finish' });
    expect(edited.campaignStatus).toBe('complete');
    const again = await deliver(c.id, undefined, 'eventbridge');
    expect(again).toMatchObject({ status: 200, body: { status: 'ignored' } });
    expect(again.body.reason).toMatch(/already in this status/);
    // and a late redelivery of the older copy is no new run either
    const older = (await sim.copies(c.id)).at(-2)!;
    expect((await deliver(c.id, older.version, 'eventbridge')).status).toBe(200);
    expect(await runsOf(c.id)).toHaveLength(1);
    expect(await rowsOf(c.id)).toHaveLength(1);
  });

  it('a completed finish during a waiting stopped run gets its own report', async () => {
    const c = await sim.createCampaign({ contactCount: 30, status: 'off' });
    await sim.startCampaign(c.id, { at: Date.now() - 30 * MIN });
    await deliver(c.id);
    // analytics hold back the stop's data for a while: its run waits
    await sim.setFaults({ analyticsLagMs: 4_000 });
    let firstSegment: ExpectedTotals | undefined;
    try {
      firstSegment = (
        await sim.stopCampaign(c.id, {
          fraction: 0.5,
          durationSeconds: 60,
          endAt: Date.now() - 5_000,
          avgHandleMs: 1500,
        })
      ).expected;
      const stopCopies = (await sim.copies(c.id)).slice(-2);
      await deliver(c.id, stopCopies[0]!.version);
      expect((await deliver(c.id, stopCopies[1]!.version)).status).toBe(202);
      await waitFor(async () => (await runsOf(c.id))[0]?.stage === 'waiting_for_analytics', {
        timeoutMs: 5_000,
        what: 'the stopped run to wait',
      });

      // resumed now; its dials come after the resume and end 1.5 s from now
      await sim.startCampaign(c.id);
      await deliver(c.id);
      const endAt = Date.now() + 1_500;
      await sim.runToCompletion(c.id, { durationSeconds: 1, endAt, avgHandleMs: 1500 });
      await new Promise((r) => setTimeout(r, endAt - Date.now() + 50));
      const completed = await deliver(c.id);
      expect(completed.status).toBe(202);
      expect(completed.body.status).toBe('accepted');
    } finally {
      await sim.setFaults({ analyticsLagMs: 300 });
    }
    const runs = await settled(c.id, 2);
    expect(runs.map((r) => r.status).sort()).toEqual(['completed', 'stopped']);
    expect(runs.every((r) => r.stage === 'delivered')).toBe(true);
    const rows = await rowsOf(c.id);
    expect(rows.map((r) => r.status)).toEqual(['stopped', 'completed']);
    // the stopped report ends where the campaign was turned on again: the first segment only
    const stopped = rows[0]?.report as Report;
    expect(stopped.window?.endFrom).toBe('resumed');
    expect(stopped.completeness?.rule.requireHandled).toBe(false);
    expect(stopped.metrics.totalCallsAttempted).toBe(firstSegment?.attempted);
    expect((rows[1]?.report as Report).metrics.totalCallsAttempted).toBe(
      (await sim.expected(c.id)).attempted,
    );
  });
});
