import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIdFor } from '@wrapup/shared';
import { API_KEY, campaignId, eventBridgeEvent, guideEvent, startHarness, type Harness } from './test-support';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('POST /webhooks/genesys answers', () => {
  it('202 accepted, with the job in Redis carrying a validated payload', async () => {
    const id = campaignId();
    const res = await h.postKeyed(guideEvent(id, { durationSeconds: 3600 }), { 'webhook-id': `wh-${id}` });
    expect(res.status).toBe(202);
    const runId = runIdFor(id, '2024-05-01T10:00:00.000Z');
    expect(await res.json()).toEqual({ status: 'accepted', eventId: `wh-${id}`, jobId: runId });
    const job = await h.ingest.queues.analytics.getJob(runId);
    expect(job?.name).toBe('run');
    expect(job?.data).toMatchObject({
      runId,
      campaignId: id,
      status: 'completed',
      occurredAt: '2024-05-01T10:00:00.000Z',
      durationSeconds: 3600,
      contactCount: 120,
      eventId: `wh-${id}`,
      shape: 'guide',
    });
    expect(job?.opts.attempts).toBe(6);
    expect(await h.ingest.runs.get(runId)).toMatchObject({ stage: 'received', eventIds: [`wh-${id}`] });
  });

  it('200 duplicate for the same event, with the original job id', async () => {
    const id = campaignId();
    const first = await h.postKeyed(guideEvent(id));
    const body = (await first.json()) as { eventId: string; jobId: string };
    const again = await h.postKeyed(guideEvent(id));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: 'duplicate', eventId: body.eventId, jobId: body.jobId });
    expect(body.eventId).toMatch(/^evt-[0-9a-f]{32}$/);
  });

  it('200 ignored for a non-trigger status and a heartbeat, with no job', async () => {
    const id = campaignId();
    const res = await h.postKeyed(eventBridgeEvent(id, { campaignStatus: 'stopping' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ignored', reason: 'status "stopping" starts no report' });
    const beat = await h.postKeyed({ topicName: 'channel.metadata', eventBody: { message: 'WebSocket Heartbeat' } });
    expect(beat.status).toBe(200);
    expect(await beat.json()).toEqual({ status: 'ignored', reason: 'heartbeat' });
    expect(await h.ingest.runs.listForCampaign(id)).toEqual([]);
  });

  it('200 ignored for the progress topic and other topics, never 400', async () => {
    const id = campaignId();
    const progress = await h.postKeyed({
      topicName: `v2.outbound.campaigns.${id}.progress`,
      eventBody: { campaign: { id }, numberOfContactsCalled: 12, totalNumberOfContacts: 40, percentage: 30 },
      metadata: { CorrelationId: 'c-1' },
    });
    expect(progress.status).toBe(200);
    const answer = (await progress.json()) as { status: string; reason: string };
    expect(answer.status).toBe('ignored');
    expect(answer.reason).toContain('.progress');
    const eb = eventBridgeEvent(id);
    const ebProgress = { ...eb, 'detail-type': 'v2.outbound.campaigns.{id}.progress', detail: { ...eb.detail, topicName: `v2.outbound.campaigns.${id}.progress` } };
    expect((await h.postKeyed(ebProgress)).status).toBe(200);
    expect(await h.ingest.runs.listForCampaign(id)).toEqual([]);
  });

  it('202 for a Notification API finish without dateModified, dated when it was received', async () => {
    const id = campaignId();
    const before = Date.now();
    const res = await h.postKeyed({
      topicName: `v2.outbound.campaigns.${id}`,
      eventBody: { id, name: 'No date', campaignStatus: 'complete', version: 4 },
      metadata: { CorrelationId: 'corr-1' },
    });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const job = await h.ingest.queues.analytics.getJob(jobId);
    const data = job?.data as { occurredAt: string } | undefined;
    expect(Date.parse(data?.occurredAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
    expect(job?.data).toMatchObject({ shape: 'notification' });
  });

  it('acts on transitions: a re-sent complete copy (an edit) long after the run starts nothing', async () => {
    const id = campaignId();
    const first = await h.postKeyed(eventBridgeEvent(id, { time: '2024-05-01T10:00:00Z' }));
    expect(first.status).toBe(202);
    const edit = await h.postKeyed(eventBridgeEvent(id, { time: '2024-05-03T09:00:00Z' }));
    expect(edit.status).toBe(200);
    const ignored = (await edit.json()) as { status: string; reason: string };
    expect(ignored.status).toBe('ignored');
    expect(ignored.reason).toContain('already in this status');
    expect(await h.ingest.runs.listForCampaign(id)).toHaveLength(1);
    // after an `on`, the next complete is a transition again
    await h.postKeyed(eventBridgeEvent(id, { campaignStatus: 'on', time: '2024-05-04T08:00:00Z' }));
    expect((await h.postKeyed(eventBridgeEvent(id, { time: '2024-05-04T12:00:00Z' }))).status).toBe(202);
    expect(await h.ingest.runs.listForCampaign(id)).toHaveLength(2);
  });

  it('remembers an `on` status and uses it as startedAt when the finish has no duration', async () => {
    const id = campaignId();
    const on = await h.postKeyed(eventBridgeEvent(id, { campaignStatus: 'on', time: '2024-05-01T08:00:00Z' }));
    expect(on.status).toBe(200);
    expect(await on.json()).toMatchObject({ status: 'ignored' });
    expect(await h.ingest.runs.getStart(id)).toBe('2024-05-01T08:00:00.000Z');
    const off = await h.postKeyed(eventBridgeEvent(id, { campaignStatus: 'off', time: '2024-05-01T10:00:00Z' }));
    expect(off.status).toBe(202);
    const { jobId } = (await off.json()) as { jobId: string };
    const job = await h.ingest.queues.analytics.getJob(jobId);
    expect(job?.data).toMatchObject({ status: 'stopped', startedAt: '2024-05-01T08:00:00.000Z', shape: 'eventbridge' });
    expect(job?.data).not.toHaveProperty('durationSeconds');
  });

  it('400 for malformed JSON and for schema failures, with field paths', async () => {
    const bad = await h.postKeyed('{"eventType": ' as unknown as object);
    expect(bad.status).toBe(400);
    const badBody = (await bad.json()) as { error: string; issues: { path: string; message: string }[] };
    expect(badBody.error).toBe('invalid_payload');
    expect(badBody.issues[0]?.message).toMatch(/valid JSON/);

    const res = await h.post(
      JSON.stringify({ eventType: 'outbound.campaign.completed', timestamp: 'yesterday', data: { campaignId: 'has space', status: 'completed' } }),
      { 'x-api-key': API_KEY },
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string; message: string }[] };
    expect(body.issues.map((i) => i.path)).toContain('data.campaignId');
    for (const issue of body.issues) expect(typeof issue.message).toBe('string');
  });

  it('401 without credentials or with a wrong key', async () => {
    const none = await h.post(guideEvent(campaignId()));
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: 'unauthorized' });
    expect((await h.post(guideEvent(campaignId()), { 'x-api-key': 'not-the-key-at-all' })).status).toBe(401);
  });

  it('415 for a body that is not JSON', async () => {
    const res = await fetch(`${h.url}/webhooks/genesys`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-api-key': API_KEY },
      body: 'hello',
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ error: 'unsupported_media_type' });
  });

  it('413 for a declared Content-Length over the limit', async () => {
    const res = await h.postKeyed({ pad: 'x'.repeat(5000) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('413 for a chunked body that passes the limit, without reading the rest', async () => {
    const { status, sent } = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
      let sent = 0;
      let stop = false;
      const req = httpRequest(`${h.url}/webhooks/genesys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        stop = true;
        res.resume();
        resolve({ status: res.statusCode ?? 0, sent });
      });
      req.on('error', (err) => (stop ? undefined : reject(err)));
      const chunk = Buffer.alloc(1024, 'x');
      const pump = () => {
        while (!stop && sent < 50 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    expect(sent).toBeLessThan(50 * 1024 * 1024);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });

  it('leaves every Redis key it writes under the prefix', async () => {
    const id = campaignId('prefix');
    await h.postKeyed(guideEvent(id));
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await h.fx.redis.scan(cursor, 'MATCH', `*${id}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.startsWith(`${h.fx.prefix}:`)).toBe(true);
  });
});
