import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { Worker } from 'bullmq';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYTICS_QUEUE } from '@wrapup/shared';
import { queueList } from './queues';
import { adminRoutes } from './routes/admin';
import { serveApp, type RunningServer } from './serve';
import { DASHBOARD, campaignId, guideEvent, startHarness, type Harness } from './testing/app';

/** Every line the admin harness logs, at debug level, to check that no secret ever reaches a log. */
const logLines: string[] = [];
const capture = new Writable({
  write(chunk: Buffer, _enc, done) {
    logLines.push(chunk.toString('utf8'));
    done();
  },
});

let h: Harness;
let off: Harness;
/** DASHBOARD_READ_ONLY=false: its admin routes served on their own port, as the app mounts them. */
let w: Harness;
let writable: RunningServer;
beforeAll(async () => {
  const creds = { DASHBOARD_USER: DASHBOARD.user, DASHBOARD_PASSWORD: DASHBOARD.password };
  h = await startHarness(
    { ...creds, LOG_LEVEL: 'debug' },
    { logger: pino({ level: 'debug' }, capture) },
  );
  off = await startHarness();
  w = await startHarness({ ...creds, DASHBOARD_READ_ONLY: 'false' });
  const dashboard = w.config.dashboard;
  if (!dashboard) throw new Error('dashboard credentials not configured');
  const app = new Hono().route(
    '/',
    adminRoutes({
      dashboard,
      readOnly: w.config.dashboardReadOnly,
      runs: w.ingest.runs,
      analytics: w.ingest.queues.analytics,
      boardQueues: queueList(w.ingest.queues),
      logger: w.ingest.logger,
      now: Date.now,
    }),
  );
  writable = await serveApp(app, { host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await writable.close(1_000);
  await Promise.all([h.close(), off.close(), w.close()]);
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
    expect(
      (await fetch(`${off.url}/admin/campaigns/c-1/replay`, { method: 'POST', headers: admin }))
        .status,
    ).toBe(404);
  });

  it('needs Basic credentials: 401 without or with wrong ones, 200 with them', async () => {
    const none = await fetch(`${h.url}/admin/queues`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(
      (await fetch(`${h.url}/admin/queues`, { headers: basic(DASHBOARD.user, 'wrong') })).status,
    ).toBe(401);
    expect(
      (await fetch(`${h.url}/admin/queues`, { headers: basic('someone', DASHBOARD.password) }))
        .status,
    ).toBe(401);
    expect((await fetch(`${h.url}/admin/campaigns/x/runs`)).status).toBe(401);
    expect((await fetch(`${h.url}/admin/campaigns/x/replay`, { method: 'POST' })).status).toBe(401);

    const page = await fetch(`${h.url}/admin/queues`, { headers: admin });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<base href="/admin/queues/"');
  });

  it('serves Bull Board with the four queues and its static assets', async () => {
    const api = await fetch(`${h.url}/admin/queues/api/queues`, { headers: admin });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual([
      'analytics',
      'notify',
      'reconcile',
      'warehouse',
    ]);

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
    const at = new Date(Date.now() - 60_000).toISOString(); // inside EVENT_MAX_AGE_DAYS
    const first = await h.postKeyed(guideEvent(id, { timestamp: at, durationSeconds: 600 }));
    expect(first.status).toBe(202);
    const { jobId: runId } = (await first.json()) as { jobId: string };
    await h.ingest.runs.setStage(runId, 'delivered', { reportId: 'rpt-1' });

    const res = await fetch(`${h.url}/admin/campaigns/${id}/runs`, { headers: admin });
    expect(res.status).toBe(200);
    const listed = (await res.json()) as {
      campaignId: string;
      runs: { runId: string; stage: string; stages: Record<string, string> }[];
    };
    expect(listed.campaignId).toBe(id);
    expect(listed.runs).toHaveLength(1);
    expect(listed.runs[0]).toMatchObject({ runId, stage: 'delivered', reportId: 'rpt-1' });
    expect(Object.keys(listed.runs[0]?.stages ?? {}).sort()).toEqual(['delivered', 'received']);

    const replay = await fetch(`${h.url}/admin/campaigns/${id}/replay`, {
      method: 'POST',
      headers: admin,
    });
    expect(replay.status).toBe(202);
    expect(await replay.json()).toEqual({ runId, jobId: `${runId}-replay-1` });
    const job = await h.ingest.queues.analytics.getJob(`${runId}-replay-1`);
    expect(job?.data).toMatchObject({
      runId,
      campaignId: id,
      shape: 'replay',
      durationSeconds: 600,
      occurredAt: at,
    });

    const again = await fetch(`${h.url}/admin/campaigns/${id}/replay`, {
      method: 'POST',
      headers: admin,
    });
    expect(await again.json()).toEqual({ runId, jobId: `${runId}-replay-2` });
    expect((await h.ingest.runs.get(runId))?.replays).toBe(2);
  });

  it('answers 404 for a replay of a campaign without runs, 200 with an empty list for its runs', async () => {
    const id = campaignId('none');
    expect(
      (await fetch(`${h.url}/admin/campaigns/${id}/replay`, { method: 'POST', headers: admin }))
        .status,
    ).toBe(404);
    const res = await fetch(`${h.url}/admin/campaigns/${id}/runs`, { headers: admin });
    expect(await res.json()).toEqual({ campaignId: id, runs: [] });
  });
});

/** A run for a fresh campaign, so a replay of it would be accepted (202) if nothing refused it. */
async function campaignWithRun(label: string): Promise<string> {
  const id = campaignId(label);
  const res = await h.postKeyed(guideEvent(id, { timestamp: new Date().toISOString() }));
  expect(res.status).toBe(202);
  return id;
}

/** A request with a Host header of our choosing (fetch always sends the real one). */
function rawRequest(
  url: string,
  opts: { method: string; headers: Record<string, string> },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method, headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admin writes come from the same origin only', () => {
  const replay = (id: string, headers: Record<string, string>, body?: string) =>
    fetch(`${h.url}/admin/campaigns/${id}/replay`, {
      method: 'POST',
      headers: { ...admin, ...headers },
      ...(body !== undefined ? { body } : {}),
    });

  it('refuses a cross-site form post (Origin of another site) with 403 and enqueues nothing', async () => {
    const id = await campaignWithRun('csrf');
    const res = await replay(
      id,
      { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      'a=1',
    );
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'cross_site_request' });
    const runs = (await (
      await fetch(`${h.url}/admin/campaigns/${id}/runs`, { headers: admin })
    ).json()) as { runs: { replays?: number }[] };
    expect(runs.runs[0]?.replays ?? 0).toBe(0);
  });

  it('refuses Sec-Fetch-Site cross-site, same-site and none, whatever the Origin says', async () => {
    const id = await campaignWithRun('sfs');
    for (const site of ['cross-site', 'same-site', 'none']) {
      const res = await replay(id, {
        'sec-fetch-site': site,
        origin: h.url,
        'content-type': 'application/json',
      });
      expect(res.status, site).toBe(403);
      expect(await res.json()).toEqual({ error: 'cross_site_request' });
    }
  });

  it('refuses an Origin of another port or scheme, and the opaque Origin null', async () => {
    const id = await campaignWithRun('origin');
    const port = new URL(h.url).port;
    for (const origin of [
      'null',
      `http://127.0.0.1:${Number(port) + 1}`,
      `https://127.0.0.1:${port}`,
      'http://localhost',
    ]) {
      expect((await replay(id, { origin })).status, origin).toBe(403);
    }
  });

  it('accepts a same-origin JSON replay: Sec-Fetch-Site same-origin, or a matching Origin without it', async () => {
    const id = await campaignWithRun('same');
    const bySite = await replay(
      id,
      { 'sec-fetch-site': 'same-origin', origin: h.url, 'content-type': 'application/json' },
      '{}',
    );
    expect(bySite.status).toBe(202);
    const byOrigin = await replay(id, { origin: h.url });
    expect(byOrigin.status).toBe(202);
  });

  it('compares the Origin with the Host the request was sent to', async () => {
    const id = await campaignWithRun('host');
    const url = `${h.url}/admin/campaigns/${id}/replay`;
    const headers = { ...admin, host: 'admin.example:8443' };
    expect(
      (
        await rawRequest(url, {
          method: 'POST',
          headers: { ...headers, origin: 'http://admin.example:8443' },
        })
      ).status,
    ).toBe(202);
    expect(
      (await rawRequest(url, { method: 'POST', headers: { ...headers, origin: h.url } })).status,
    ).toBe(403);
  });

  it('lets a client that sends neither Sec-Fetch-Site nor Origin (curl, scripts) through, but only with JSON or no body', async () => {
    const id = await campaignWithRun('cli');
    expect((await replay(id, {})).status).toBe(202);
    expect((await replay(id, { 'content-type': 'application/json' }, '')).status).toBe(202);
    for (const [type, body] of [
      ['text/plain', 'x'],
      ['application/x-www-form-urlencoded', 'a=1'],
      ['multipart/form-data; boundary=x', '--x--'],
      ['application/x-www-form-urlencoded', ''],
    ] as const) {
      const res = await replay(id, { 'content-type': type }, body);
      expect(res.status, type).toBe(415);
      expect(await res.json()).toMatchObject({ error: 'unsupported_media_type' });
    }
    const sameOriginText = await replay(
      id,
      { 'sec-fetch-site': 'same-origin', 'content-type': 'text/plain' },
      'x',
    );
    expect(sameOriginText.status).toBe(415);
  });

  it('reads are never refused for their origin', async () => {
    const res = await fetch(`${h.url}/admin/queues/api/queues`, {
      headers: { ...admin, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    });
    expect(res.status).toBe(200);
  });

  it('checks Bull Board’s API too: cross-site or text/plain writes are refused', async () => {
    const api = `${writable.url}/admin/queues/api/queues/${ANALYTICS_QUEUE}`;
    const crossSite = await fetch(`${api}/pause`, {
      method: 'PUT',
      headers: { ...admin, 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toEqual({ error: 'cross_site_request' });
    const text = await fetch(`${api}/clean/completed`, {
      method: 'PUT',
      headers: { ...admin, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(text.status).toBe(415);
    const add = await fetch(`${api}/add`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'text/plain' },
      body: '{"name":"x","data":{}}',
    });
    expect([403, 415]).toContain(add.status);
    expect(await w.ingest.queues.analytics.getJobCounts('waiting', 'prioritized')).toEqual({
      waiting: 0,
      prioritized: 0,
    });
  });
});

describe('Bull Board write actions', () => {
  const sameOrigin = { ...admin, 'sec-fetch-site': 'same-origin' };

  /** A failed job in `harness`'s analytics queue, failed the way a worker fails it (LIFO: taken next). */
  async function failedJob(harness: Harness): Promise<string> {
    const id = `failed-${campaignId()}`;
    await harness.ingest.queues.analytics.add(
      'run',
      { test: true },
      { jobId: id, attempts: 1, lifo: true },
    );
    const worker = new Worker(ANALYTICS_QUEUE, null, {
      connection: harness.fx.redis,
      prefix: harness.fx.prefix,
      autorun: false,
    });
    try {
      const job = await worker.getNextJob('test-token');
      expect(job?.id).toBe(id);
      await job?.moveToFailed(new Error('boom'), 'test-token', false);
    } finally {
      await worker.close();
    }
    expect(await harness.ingest.queues.analytics.getJobState(id)).toBe('failed');
    return id;
  }

  it('are off by default: retry, clean, pause and add are refused, and the board says read-only', async () => {
    const id = await failedJob(h);
    const api = `${h.url}/admin/queues/api/queues/${ANALYTICS_QUEUE}`;
    for (const [method, path] of [
      ['PUT', `/${id}/retry`],
      ['PUT', '/retry/failed'],
      ['PUT', `/${id}/clean`],
      ['PUT', '/clean/failed'],
      ['PUT', '/pause'],
    ] as const) {
      const res = await fetch(`${api}${path}`, { method, headers: sameOrigin });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await res.json()).toEqual({ error: 'read_only' });
    }
    const add = await fetch(`${api}/add`, {
      method: 'POST',
      headers: { ...sameOrigin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', data: {} }),
    });
    expect(add.status).toBe(403);
    expect(await h.ingest.queues.analytics.getJobState(id)).toBe('failed');
    expect(await h.ingest.queues.analytics.isPaused()).toBe(false);

    const board = (await (
      await fetch(`${h.url}/admin/queues/api/queues`, { headers: admin })
    ).json()) as { queues: { readOnlyMode: boolean; allowRetries: boolean }[] };
    expect(board.queues.map((q) => [q.readOnlyMode, q.allowRetries])).toEqual([
      [true, false],
      [true, false],
      [true, false],
      [true, false],
    ]);
  });

  it('with DASHBOARD_READ_ONLY=false, retry works; adding a job or rewriting its data never does', async () => {
    const id = await failedJob(w);
    const api = `${writable.url}/admin/queues/api/queues/${ANALYTICS_QUEUE}`;
    // what Bull Board's UI sends: a same-origin PUT without a body
    const retry = await fetch(`${api}/${id}/retry`, { method: 'PUT', headers: sameOrigin });
    expect(retry.status).toBe(204);
    expect(await w.ingest.queues.analytics.getJobState(id)).toBe('waiting');

    const json = { ...sameOrigin, 'content-type': 'application/json' };
    const add = await fetch(`${api}/add`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'x', data: { campaignId: 'c-1' } }),
    });
    expect(add.status).toBe(403);
    expect(await add.json()).toEqual({ error: 'job_creation_disabled' });
    const edit = await fetch(`${api}/${id}/update-data`, {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ data: { evil: true } }),
    });
    expect(edit.status).toBe(403);
    expect((await w.ingest.queues.analytics.getJob(id))?.data).toEqual({ test: true });
    expect(await w.ingest.queues.analytics.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });
});

describe('Basic auth', () => {
  it('answers 401 with a challenge for a bad password, a malformed header or another scheme', async () => {
    for (const headers of [
      basic(DASHBOARD.user, `${DASHBOARD.password}x`),
      basic(DASHBOARD.user, ''),
      basic('', ''),
      { authorization: 'Basic !!!' },
      { authorization: `Basic ${Buffer.from(DASHBOARD.user).toString('base64')}` },
      { authorization: `Bearer ${DASHBOARD.password}` },
    ]) {
      const res = await fetch(`${h.url}/admin/campaigns/x/runs`, { headers });
      expect(res.status, headers.authorization).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="wrapup admin"/);
      expect(await res.json()).toEqual({ error: 'unauthorized' });
    }
  });

  it('never logs the dashboard password or the Authorization header', async () => {
    await fetch(`${h.url}/admin/campaigns/x/runs`, {
      headers: basic(DASHBOARD.user, `${DASHBOARD.password}-wrong`),
    });
    await fetch(`${h.url}/admin/campaigns/${await campaignWithRun('log')}/replay`, {
      method: 'POST',
      headers: admin,
    });
    await fetch(`${h.url}/admin/campaigns/x/replay`, {
      method: 'POST',
      headers: { ...admin, origin: 'https://evil.example' },
    });
    expect(logLines.length).toBeGreaterThan(0);
    const logged = logLines.join('');
    expect(logged).not.toContain(DASHBOARD.password);
    expect(logged).not.toContain(admin.authorization.slice('Basic '.length));
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
    expect(text).toMatch(
      /wrapup_ingest_intake_duration_seconds_bucket\{le="0.1",outcome="accepted"\} [1-9]/,
    );
    expect(text).toMatch(/wrapup_queue_jobs\{queue="analytics",state="waiting"\} [1-9]/);
    expect(text).toMatch(/wrapup_queue_jobs\{queue="notify",state="failed"\} 0/);
    expect(text).toMatch(/wrapup_ingest_redis_up 1/);
  });
});
