import { describe, expect, it } from 'vitest';
import { closeAfterEach } from '@wrapup/shared/testing';
import { startSimulator } from './server';
import { api, getToken } from './testing/helpers';

const LIST = '/api/v2/outbound/campaigns';

describe('rate limits, faults and the request log', () => {
  const closing = closeAfterEach();

  it('answers 429 with the platform body and Retry-After past the per-token limit', async () => {
    const sim = closing(await startSimulator({ demoCampaigns: false, rateLimitPerMinute: 3 }));
    const token = await getToken(sim);
    for (let i = 0; i < 3; i++) expect((await api(sim, token, LIST)).status).toBe(200);
    const limited = await api(sim, token, LIST);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(59);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body).toMatchObject({
      message: `Rate limit exceeded the maximum. Retry the request in [${retryAfter}] seconds`,
      code: 'too.many.requests.retry.after',
      status: 429,
    });
    // The limit is per token.
    const other = await getToken(sim);
    expect((await api(sim, other, LIST)).status).toBe(200);
  });

  it('can leave Retry-After out or fix its value', async () => {
    const sim = closing(
      await startSimulator({
        demoCampaigns: false,
        rateLimitPerMinute: 1,
        retryAfterHeader: false,
      }),
    );
    const token = await getToken(sim);
    await api(sim, token, LIST);
    const noHeader = await api(sim, token, LIST);
    expect(noHeader.status).toBe(429);
    expect(noHeader.headers.get('retry-after')).toBeNull();

    await sim.setFaults({ retryAfterHeader: true, retryAfterSeconds: 2 });
    const fixed = await api(sim, token, LIST);
    expect(fixed.headers.get('retry-after')).toBe('2');
    expect(fixed.body.message).toContain('[2]');
  });

  it('injects 503s with a Genesys body, at a rate or for the next N requests', async () => {
    const sim = closing(await startSimulator({ demoCampaigns: false, faults: { errorRate: 1 } }));
    const token = await getToken(sim); // the token endpoint is spared by default
    const res = await api(sim, token, LIST);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'service.unavailable', status: 503 });
    expect(typeof res.body.message).toBe('string');
    expect(res.headers.get('inin-correlation-id')).toBeTruthy();

    await sim.setFaults({ faults: { failNext: 2, errorStatus: 502 } });
    expect((await api(sim, token, LIST)).status).toBe(502);
    expect((await api(sim, token, LIST)).status).toBe(502);
    expect((await api(sim, token, LIST)).status).toBe(200);

    await sim.setFaults({ faults: { errorRate: 1, includeToken: true } });
    await expect(getToken(sim)).rejects.toThrow(/503/);
  });

  it('drops connections without an answer', async () => {
    const sim = closing(await startSimulator({ demoCampaigns: false }));
    const token = await getToken(sim);
    await sim.setFaults({ dropRate: 1 });
    await expect(api(sim, token, LIST)).rejects.toThrow();
    await sim.setFaults({ dropRate: 0, dropNext: 1 });
    await expect(api(sim, token, LIST)).rejects.toThrow();
    expect((await api(sim, token, LIST)).status).toBe(200);
    const log = await sim.requestLog();
    expect(log.filter((e) => e.fault === 'drop').map((e) => e.status)).toEqual([0, 0]);
  });

  it('adds latency', async () => {
    const sim = closing(await startSimulator({ demoCampaigns: false, faults: { latencyMs: 150 } }));
    const token = await getToken(sim);
    const started = performance.now();
    expect((await api(sim, token, LIST)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('logs API and token requests with a short token hash, not control calls', async () => {
    const sim = closing(await startSimulator({ demoCampaigns: false }));
    const token = await getToken(sim);
    await api(sim, token, LIST);
    await api(sim, token, `${LIST}/missing`);
    await fetch(`${sim.url}/__sim/health`);
    const res = await fetch(`${sim.url}/__sim/requests`);
    const { requests } = (await res.json()) as {
      requests: {
        method: string;
        path: string;
        token: string | null;
        status: number;
        time: string;
      }[];
    };
    expect(requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /oauth/token 200',
      `GET ${LIST} 200`,
      `GET ${LIST}/missing 404`,
    ]);
    expect(requests[1]?.token).toMatch(/^[0-9a-f]{12}$/);
    expect(requests[1]?.token).not.toContain(token.slice(0, 12));
    expect(Date.parse(requests[1]?.time ?? '')).toBeGreaterThan(0);

    expect((await fetch(`${sim.url}/__sim/requests`, { method: 'DELETE' })).status).toBe(204);
    expect(await sim.requestLog()).toEqual([]);
  });

  it('changes settings through the control API and validates them', async () => {
    const sim = closing(await startSimulator({ demoCampaigns: false }));
    const post = (body: unknown) =>
      fetch(`${sim?.url}/__sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await post({ analyticsLagMs: 5, rateLimitPerMinute: 10, errorRate: 0.5 });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      analyticsLagMs: 5,
      rateLimitPerMinute: 10,
      faults: { errorRate: 0.5 },
    });
    const bad = await post({ errorRate: 2 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'errorRate must be in 0..1' });
    expect(sim.state.settings.faults.errorRate).toBe(0.5);
  });
});
