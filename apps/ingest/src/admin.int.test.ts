import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD, campaignId, guideEvent, startHarness, type Harness } from './test-support';

let h: Harness;
let off: Harness;
beforeAll(async () => {
  h = await startHarness({ DASHBOARD_USER: DASHBOARD.user, DASHBOARD_PASSWORD: DASHBOARD.password });
  off = await startHarness();
});
afterAll(async () => {
  await Promise.all([h.close(), off.close()]);
});

const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
const admin = basic(DASHBOARD.user, DASHBOARD.password);

describe('admin surface', () => {
  it('is 404 while no dashboard credentials are configured', async () => {
    for (const path of ['/admin', '/admin/queues', '/admin/campaigns/c-1/runs']) {
      expect((await fetch(`${off.url}${path}`, { headers: admin })).status).toBe(404);
    }
    expect((await fetch(`${off.url}/admin/campaigns/c-1/replay`, { method: 'POST', headers: admin })).status).toBe(404);
  });

  it('needs Basic credentials: 401 without or with wrong ones, 200 with them', async () => {
    const none = await fetch(`${h.url}/admin/queues`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await fetch(`${h.url}/admin/queues`, { headers: basic(DASHBOARD.user, 'wrong') })).status).toBe(401);
    expect((await fetch(`${h.url}/admin/queues`, { headers: basic('someone', DASHBOARD.password) })).status).toBe(401);
    expect((await fetch(`${h.url}/admin/campaigns/x/runs`)).status).toBe(401);
    expect((await fetch(`${h.url}/admin/campaigns/x/replay`, { method: 'POST' })).status).toBe(401);

    const page = await fetch(`${h.url}/admin/queues`, { headers: admin });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<base href="/admin/queues/"');
  });

  it('serves Bull Board with the three queues and its static assets', async () => {
    const api = await fetch(`${h.url}/admin/queues/api/queues`, { headers: admin });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['analytics', 'notify', 'warehouse']);

    const html = await (await fetch(`${h.url}/admin/queues`, { headers: admin })).text();
    const asset = /src="(static\/[^"']+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${h.url}/admin/queues/${asset}`, { headers: admin });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${h.url}/admin/queues/${asset}`)).status).toBe(401);
  });

  it('lists a campaign’s runs and replays the latest one under the same runId', async () => {
    const id = campaignId('admin');
    const first = await h.postKeyed(guideEvent(id, { timestamp: '2024-05-01T10:00:00.000Z', durationSeconds: 600 }));
    expect(first.status).toBe(202);
    const { jobId: runId } = (await first.json()) as { jobId: string };
    await h.ingest.runs.setStage(runId, 'delivered', { reportId: 'rpt-1' });

    const res = await fetch(`${h.url}/admin/campaigns/${id}/runs`, { headers: admin });
    expect(res.status).toBe(200);
    const listed = (await res.json()) as { campaignId: string; runs: { runId: string; stage: string; stages: Record<string, string> }[] };
    expect(listed.campaignId).toBe(id);
    expect(listed.runs).toHaveLength(1);
    expect(listed.runs[0]).toMatchObject({ runId, stage: 'delivered', reportId: 'rpt-1' });
    expect(Object.keys(listed.runs[0]?.stages ?? {}).sort()).toEqual(['delivered', 'received']);

    const replay = await fetch(`${h.url}/admin/campaigns/${id}/replay`, { method: 'POST', headers: admin });
    expect(replay.status).toBe(202);
    expect(await replay.json()).toEqual({ runId, jobId: `${runId}-replay-1` });
    const job = await h.ingest.queues.analytics.getJob(`${runId}-replay-1`);
    expect(job?.data).toMatchObject({ runId, campaignId: id, shape: 'replay', durationSeconds: 600, occurredAt: '2024-05-01T10:00:00.000Z' });

    const again = await fetch(`${h.url}/admin/campaigns/${id}/replay`, { method: 'POST', headers: admin });
    expect(await again.json()).toEqual({ runId, jobId: `${runId}-replay-2` });
    expect((await h.ingest.runs.get(runId))?.replays).toBe(2);
  });

  it('answers 404 for a replay of a campaign without runs, 200 with an empty list for its runs', async () => {
    const id = campaignId('none');
    expect((await fetch(`${h.url}/admin/campaigns/${id}/replay`, { method: 'POST', headers: admin })).status).toBe(404);
    const res = await fetch(`${h.url}/admin/campaigns/${id}/runs`, { headers: admin });
    expect(await res.json()).toEqual({ campaignId: id, runs: [] });
  });
});

describe('health and metrics', () => {
  it('answers /healthz and /readyz', async () => {
    expect(await (await fetch(`${h.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${h.url}/readyz`)).json()).toEqual({ status: 'ready' });
  });

  it('exports requests by outcome, intake latency and queue depths', async () => {
    await h.post(guideEvent(campaignId()));
    const res = await fetch(`${h.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/wrapup_ingest_requests_total\{outcome="unauthorized"\} [1-9]/);
    expect(text).toMatch(/wrapup_ingest_requests_total\{outcome="accepted"\} [1-9]/);
    expect(text).toMatch(/wrapup_ingest_intake_duration_seconds_bucket\{le="0.1",outcome="accepted"\} [1-9]/);
    expect(text).toMatch(/wrapup_queue_jobs\{queue="analytics",state="waiting"\} [1-9]/);
    expect(text).toMatch(/wrapup_queue_jobs\{queue="notify",state="failed"\} 0/);
    expect(text).toMatch(/wrapup_ingest_redis_up 1/);
  });
});
