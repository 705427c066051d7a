import { describe, expect, it } from 'vitest';
import { runIdFor } from '@wrapup/shared';
import { campaignId, eventBridgeEvent, guideEvent, useHarness } from './testing/app';

// the fixtures finish in May 2024; how old an event may be is not what these tests are about
// guide fixtures from 2023: the horizon (and the run retention that must cover it) is widened
const h = useHarness({ EVENT_MAX_AGE_DAYS: '36500', RUN_RETENTION_HOURS: '876000' });

describe('deduplication', () => {
  it('200 concurrent deliveries of one event make exactly one job', async () => {
    const id = campaignId('burst');
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => h.postSigned(guideEvent(id), { id: `msg_burst_${id}` })),
    );
    const statuses = responses.map((r) => r.status);
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as {
      status: string;
      jobId: string;
    }[];
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(199);
    const runId = runIdFor(id, '2024-05-01T10:00:00.000Z');
    expect(new Set(bodies.map((b) => b.jobId))).toEqual(new Set([runId]));
    expect(await h.analyticsJobIds()).toEqual([runId]);
    expect(await h.ingest.queues.analytics.count()).toBe(1);
  });

  it('the same finish as a guide event and as an EventBridge event is one run', async () => {
    const id = campaignId('shapes');
    const guide = await h.postKeyed(guideEvent(id, { timestamp: '2024-05-01T10:00:00.000Z' }));
    expect(guide.status).toBe(202);
    const eb = await h.postKeyed(eventBridgeEvent(id, { time: '2024-05-01T10:00:02Z' }));
    expect(eb.status).toBe(200);
    const first = (await guide.json()) as { jobId: string };
    expect(await eb.json()).toMatchObject({ status: 'duplicate', jobId: first.jobId });
    const runs = await h.ingest.runs.listForCampaign(id);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.eventIds).toHaveLength(2);

    // after delivery, the EventBridge copy arriving late is still "already reported"
    await h.ingest.runs.setStage(first.jobId, 'delivered');
    const late = await h.postKeyed(eventBridgeEvent(id, { time: '2024-05-01T10:00:01Z' }));
    expect(late.status).toBe(200);
    // and a later finish of the recycled campaign is a new run
    const recycled = await h.postKeyed(guideEvent(id, { timestamp: '2024-05-03T10:00:00.000Z' }));
    expect(recycled.status).toBe(202);
    expect(await h.ingest.runs.listForCampaign(id)).toHaveLength(2);
  });

  it('re-adds the job when a run was recorded but its job never reached the queue', async () => {
    const id = campaignId('crash');
    const event = guideEvent(id);
    // what a crash between the intake script and queue.add leaves behind
    const first = await h.ingest.runs.intake({
      eventId: 'msg_crash',
      campaignId: id,
      status: 'completed',
      occurredAt: '2024-05-01T10:00:00.000Z',
      now: new Date().toISOString(),
    });
    expect(first.outcome).toBe('new');
    expect(await h.ingest.queues.analytics.getJob(first.runId)).toBeUndefined();
    const retry = await h.postSigned(event, { id: 'msg_crash' });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ status: 'duplicate', jobId: first.runId });
    const job = await h.ingest.queues.analytics.getJob(first.runId);
    expect(job?.data).toMatchObject({ runId: first.runId, campaignId: id, eventId: 'msg_crash' });
    // a joining event of another shape does not add a second job
    expect((await h.postKeyed(eventBridgeEvent(id))).status).toBe(200);
    expect((await h.analyticsJobIds()).filter((j) => j.startsWith(first.runId))).toEqual([
      first.runId,
    ]);
  });

  it('the same webhook-id for two campaigns is two runs, each with its own job', async () => {
    const a = campaignId('reused-a');
    const b = campaignId('reused-b');
    const id = `msg_reused_${a}`;
    const first = await h.postSigned(guideEvent(a), { id });
    const second = await h.postSigned(guideEvent(b), { id });
    expect([first.status, second.status]).toEqual([202, 202]);
    const runA = runIdFor(a, '2024-05-01T10:00:00.000Z');
    const runB = runIdFor(b, '2024-05-01T10:00:00.000Z');
    expect(await first.json()).toMatchObject({ jobId: runA });
    expect(await second.json()).toMatchObject({ jobId: runB });
    const again = await h.postSigned(guideEvent(b), { id });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate', jobId: runB });
    expect((await h.ingest.queues.analytics.getJob(runB))?.data).toMatchObject({ campaignId: b });
  });

  it('a run whose job was cleaned is not joined: a later finish starts a run, the same event re-adds the job', async () => {
    const id = campaignId('orphan');
    const first = await h.postKeyed(guideEvent(id));
    expect(first.status).toBe(202);
    const runId = runIdFor(id, '2024-05-01T10:00:00.000Z');
    await h.ingest.runs.setStage(runId, 'validating');
    await (await h.ingest.queues.analytics.getJob(runId))?.remove();
    const next = await h.postKeyed(guideEvent(id, { timestamp: '2024-05-01T10:00:03.000Z' }));
    expect(next.status).toBe(202);
    expect(await next.json()).toMatchObject({ jobId: runIdFor(id, '2024-05-01T10:00:03.000Z') });
    expect(await h.ingest.runs.get(runId)).toMatchObject({
      stage: 'failed',
      outcome: 'orphaned: its job is gone',
    });

    // the same event again while its run waits without a job: the job is added again
    const other = campaignId('orphan-same');
    const otherRun = runIdFor(other, '2024-05-01T10:00:00.000Z');
    expect((await h.postSigned(guideEvent(other), { id: `msg_${other}` })).status).toBe(202);
    await h.ingest.runs.setStage(otherRun, 'waiting_for_analytics');
    await (await h.ingest.queues.analytics.getJob(otherRun))?.remove();
    const retry = await h.postSigned(guideEvent(other), { id: `msg_${other}` });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ status: 'duplicate', jobId: otherRun });
    expect((await h.ingest.queues.analytics.getJob(otherRun))?.data).toMatchObject({
      campaignId: other,
    });
    expect(await h.ingest.runs.get(otherRun)).toMatchObject({ stage: 'received' });
  });
});
