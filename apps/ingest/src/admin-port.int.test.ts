import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@wrapup/shared/testing';
import { startListening, type Listening } from './testing/serve';
import { API_KEY, DASHBOARD, campaignId, guideEvent } from './testing/app';

const basic = `Basic ${Buffer.from(`${DASHBOARD.user}:${DASHBOARD.password}`).toString('base64')}`;
const postEvent = (base: string) =>
  fetch(`${base}/webhooks/genesys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body: JSON.stringify(guideEvent(campaignId('adm'), { timestamp: new Date().toISOString() })),
  });

describe('ADMIN_PORT set: two listeners', () => {
  let l: Listening;
  let pub: string;
  let admin: string;
  beforeAll(async () => {
    l = await startListening({ ADMIN_PORT: String(await freePort()) });
    pub = l.running.public.url;
    admin = l.running.admin?.url ?? '';
  });
  afterAll(async () => {
    await l.close();
  });

  it('listens on INGEST_PORT and ADMIN_PORT, same host', () => {
    expect(l.running.public.port).toBe(l.config.ingest.port);
    expect(l.running.admin?.port).toBe(l.config.ingest.adminPort);
    expect(new URL(admin).hostname).toBe(new URL(pub).hostname);
  });

  it('public port: the webhook and health checks; /admin and /metrics are 404', async () => {
    expect((await postEvent(pub)).status).toBe(202);
    expect((await fetch(`${pub}/healthz`)).status).toBe(200);
    expect((await fetch(`${pub}/readyz`)).status).toBe(200);
    for (const path of ['/metrics', '/admin/queues', '/admin/reports', '/admin/campaigns/x/runs']) {
      const res = await fetch(`${pub}${path}`, { headers: { authorization: basic } });
      expect(res.status, path).toBe(404);
    }
    const replay = await fetch(`${pub}/admin/campaigns/x/replay`, {
      method: 'POST',
      headers: { authorization: basic, origin: pub },
    });
    expect(replay.status).toBe(404);
  });

  it('admin port: /admin (behind Basic auth) and /metrics, counting what the public port took; no webhook', async () => {
    expect((await fetch(`${admin}/admin/queues`)).status).toBe(401);
    expect(
      (await fetch(`${admin}/admin/queues`, { headers: { authorization: basic } })).status,
    ).toBe(200);
    const metrics = await fetch(`${admin}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(
      /wrapup_ingest_requests_total\{outcome="accepted"\} [1-9]/,
    );
    expect((await postEvent(admin)).status).toBe(404);
  });
});

describe('ADMIN_PORT unset: one listener with everything', () => {
  let l: Listening;
  beforeAll(async () => {
    l = await startListening();
  });
  afterAll(async () => {
    await l.close();
  });

  it('serves the webhook, /metrics and /admin on the one port', async () => {
    const pub = l.running.public.url;
    expect(l.running.admin).toBeUndefined();
    expect((await postEvent(pub)).status).toBe(202);
    expect((await fetch(`${pub}/metrics`)).status).toBe(200);
    expect((await fetch(`${pub}/admin/queues`, { headers: { authorization: basic } })).status).toBe(
      200,
    );
  });
});
