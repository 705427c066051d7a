import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverFinish, type Simulator } from '@wrapup/genesys-sim';
import { waitFor } from '@wrapup/shared/testing';
import { startE2eStack, type E2eStack } from './support/e2e-stack';

let stack: E2eStack;
let sim: Simulator;
let KEY: string;
let auth: string;
let server: { url: string };

beforeAll(async () => {
  stack = await startE2eStack({ name: 'e2e', sim: { analyticsLagMs: 300 } });
  ({ sim, server, apiKey: KEY, adminAuth: auth } = stack);
});

afterAll(async () => {
  await stack?.close();
});

const runsOf = (campaignId: string) => stack.runsOf(campaignId);
const settled = (campaignId: string, count = 1) => stack.settled(campaignId, count);
const rowsOf = (campaignId: string) => stack.rowsOf(campaignId);

describe('ingest -> analytics -> warehouse, end to end', () => {
  it('turns one finish delivered twice in two shapes (EventBridge, guide) into one delivered report', async () => {
    const c = await sim.createCampaign({ contactCount: 30 });
    const { expected } = await sim.runToCompletion(c.id, {
      durationSeconds: 600,
      avgHandleMs: 1500,
    });
    const finished = {
      id: c.id,
      status: 'complete' as const,
      occurredAt: expected.lastDial!,
      durationSeconds: 600,
    };
    const webhookUrl = `${server.url}/webhooks/genesys`;

    const eb = await deliverFinish({
      webhookUrl,
      campaign: finished,
      shape: 'eventbridge',
      auth: { apiKey: KEY },
      duplicates: 2,
    });
    const guide = await deliverFinish({
      webhookUrl,
      campaign: finished,
      shape: 'guide',
      auth: { apiKey: KEY },
    });
    expect(eb.finals.map((a) => a.status)).toEqual([202, 200, 200]);
    expect(eb.finals.slice(1).map((a) => (a.body as { status: string }).status)).toEqual([
      'duplicate',
      'duplicate',
    ]);
    expect(guide.finals[0]?.status).toBe(200); // same finish, other shape: joins the run
    const jobIds = new Set(
      [...eb.finals, ...guide.finals].map((a) => (a.body as { jobId: string }).jobId),
    );
    expect(jobIds.size).toBe(1);

    const [run] = await settled(c.id);
    expect(run?.stage).toBe('delivered');
    const rows = await rowsOf(c.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      report_id: run?.reportId,
      total_calls_attempted: expected.attempted,
      successful_contacts: expected.connected,
      complete: true,
    });
  });

  it('replays the latest report into the same row', async () => {
    const c = await sim.createCampaign({ contactCount: 12 });
    const { expected } = await sim.runToCompletion(c.id, {
      durationSeconds: 300,
      avgHandleMs: 1500,
    });
    await deliverFinish({
      webhookUrl: `${server.url}/webhooks/genesys`,
      campaign: {
        id: c.id,
        status: 'complete',
        occurredAt: expected.lastDial!,
        durationSeconds: 300,
      },
      shape: 'guide',
      auth: { apiKey: KEY },
    });
    const [first] = await settled(c.id);
    const writtenBefore = (await rowsOf(c.id))[0]?.written_at as Date;

    for (let i = 1; i <= 2; i++) {
      const res = await fetch(`${server.url}/admin/campaigns/${c.id}/replay`, {
        method: 'POST',
        headers: { authorization: auth },
      });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({
        runId: first?.runId,
        jobId: `${first?.runId}-replay-${i}`,
      });
      await waitFor(
        async () => {
          const [row] = await rowsOf(c.id);
          return (
            row &&
            (row.written_at as Date).getTime() > writtenBefore.getTime() &&
            (await runsOf(c.id))[0]?.stage === 'delivered'
          );
        },
        { timeoutMs: 15_000, what: `replay ${i} to rewrite the row` },
      );
    }
    const rows = await rowsOf(c.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.report_id).toBe(first?.reportId);
    const runs = await runsOf(c.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.replays).toBe(2);

    const missing = await fetch(`${server.url}/admin/campaigns/never-ran/replay`, {
      method: 'POST',
      headers: { authorization: auth },
    });
    expect(missing.status).toBe(404);
  });

  it('starts a second run when a recycled campaign finishes again later', async () => {
    const c = await sim.createCampaign({ contactCount: 10 });
    const first = await sim.runToCompletion(c.id, {
      durationSeconds: 120,
      endAt: Date.now() - 3_600_000,
      avgHandleMs: 1500,
    });
    const finish = (occurredAt: string) =>
      deliverFinish({
        webhookUrl: `${server.url}/webhooks/genesys`,
        campaign: { id: c.id, status: 'complete', occurredAt, durationSeconds: 120 },
        shape: 'guide',
        auth: { apiKey: KEY },
      });
    await finish(first.expected.lastDial!);
    await settled(c.id, 1);

    await sim.startCampaign(c.id); // recycle the contact list
    const second = await sim.runToCompletion(c.id, { durationSeconds: 120, avgHandleMs: 1500 });
    const answer = await finish(second.expected.lastDial!);
    expect(answer.finals[0]?.status).toBe(202);
    const runs = await settled(c.id, 2);
    expect(runs.map((r) => r.stage)).toEqual(['delivered', 'delivered']);
    const rows = await rowsOf(c.id);
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((r) => r.report_id)).size).toBe(2);
  });
});
