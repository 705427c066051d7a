import { describe, expect, it } from 'vitest';
import { DASHBOARD, useHarness } from './testing/app';

const h = useHarness({ DASHBOARD_USER: DASHBOARD.user, DASHBOARD_PASSWORD: DASHBOARD.password });

const admin = {
  authorization: `Basic ${Buffer.from(`${DASHBOARD.user}:${DASHBOARD.password}`).toString('base64')}`,
};

const post = (query: string, headers: Record<string, string> = {}) =>
  fetch(`${h.url}/admin/reconcile${query}`, { method: 'POST', headers: { ...admin, ...headers } });

const jobCount = () => h.ingest.queues.reconcile.count();

describe('POST /admin/reconcile', () => {
  it('queues a backfill from `since` (202 with the job id), normalised to UTC', async () => {
    const since = new Date(Date.now() - 3_600_000);
    const local = since.toISOString().replace('Z', '+00:00');
    const res = await post(`?since=${encodeURIComponent(local)}`);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { status: string; jobId: string; since: string };
    expect(body).toMatchObject({ status: 'queued', since: since.toISOString() });
    const job = await h.ingest.queues.reconcile.getJob(body.jobId);
    expect(job?.data).toEqual({ since: since.toISOString(), requestedBy: 'admin' });
    expect(job?.opts.attempts).toBe(3);
  });

  it('queues a plain sweep without `since`', async () => {
    const res = await post('');
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    expect((await h.ingest.queues.reconcile.getJob(jobId))?.data).toEqual({ requestedBy: 'admin' });
  });

  it('answers 400 naming `since` when it is no ISO time, has no zone, is in the future or too old', async () => {
    const before = await jobCount();
    const day = 86_400_000;
    for (const bad of [
      'yesterday',
      '',
      '2026-13-45T10:00:00Z',
      '2026-12-01T10:00:00',
      new Date(Date.now() + day).toISOString(),
      new Date(Date.now() - 31 * day).toISOString(),
    ]) {
      const res = await post(`?since=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
      const body = (await res.json()) as { error: string; issues: { path: string }[] };
      expect(body.error).toBe('invalid_request');
      expect(body.issues[0]?.path).toBe('since');
    }
    const twice = await post(
      `?since=${new Date().toISOString()}&since=${new Date().toISOString()}`,
    );
    expect(twice.status).toBe(400);
    expect(await jobCount()).toBe(before);
  });

  it('refuses a cross-origin request (403) and one without credentials (401), adding no job', async () => {
    const before = await jobCount();
    const since = `?since=${new Date(Date.now() - 60_000).toISOString()}`;
    expect((await post(since, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post(since, { origin: 'https://evil.example' })).status).toBe(403);
    const anonymous = await fetch(`${h.url}/admin/reconcile${since}`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    // the same request from our own origin passes
    expect((await post(since, { 'sec-fetch-site': 'same-origin' })).status).toBe(202);
    expect(await jobCount()).toBe(before + 1);
  });
});
