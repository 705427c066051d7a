import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './server';
import { api, getToken } from './testing/helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function tokenRequest(
  sim: Simulator,
  opts: { user?: string; pass?: string; body?: string; type?: string } = {},
) {
  const basic = Buffer.from(
    `${opts.user ?? sim.clientId}:${opts.pass ?? sim.clientSecret}`,
  ).toString('base64');
  return fetch(`${sim.url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': opts.type ?? 'application/x-www-form-urlencoded',
    },
    body: opts.body ?? 'grant_type=client_credentials',
  });
}

describe('OAuth client credentials', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      tokenTtlSeconds: 1,
      demoCampaigns: false,
      clientId: 'cid',
      clientSecret: 's3cret',
    });
  });
  afterAll(() => sim.close());

  it('issues a bearer token for the right client, with a correlation id', async () => {
    const res = await tokenRequest(sim);
    expect(res.status).toBe(200);
    expect(res.headers.get('ININ-Correlation-ID')).toMatch(UUID);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 1 });
    expect(typeof body.access_token).toBe('string');
  });

  it('answers 401 invalid_client for a wrong secret, an unknown client or no Basic header', async () => {
    const wrong = await tokenRequest(sim, { pass: 'nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    expect((await tokenRequest(sim, { user: 'other' })).status).toBe(401);
    const none = await fetch(`${sim.url}/oauth/token`, {
      method: 'POST',
      body: 'grant_type=client_credentials',
    });
    expect(none.status).toBe(401);
  });

  it('answers 400 for a wrong or missing grant type and for a JSON body', async () => {
    const wrongGrant = await tokenRequest(sim, { body: 'grant_type=password' });
    expect(wrongGrant.status).toBe(400);
    expect(await wrongGrant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    expect((await tokenRequest(sim, { body: '' })).status).toBe(400);
    expect(
      (
        await tokenRequest(sim, {
          body: '{"grant_type":"client_credentials"}',
          type: 'application/json',
        })
      ).status,
    ).toBe(400);
  });

  it('refuses a missing, unknown or expired token with a Genesys 401, and a new token works', async () => {
    const missing = await fetch(`${sim.url}/api/v2/outbound/campaigns`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('ININ-Correlation-ID')).toMatch(UUID);

    const unknown = await api(sim, 'not-a-token', '/api/v2/outbound/campaigns');
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ code: 'bad.credentials', status: 401 });
    expect(typeof unknown.body.message).toBe('string');

    const token = await getToken(sim);
    expect((await api(sim, token, '/api/v2/outbound/campaigns')).status).toBe(200);
    await sleep(1100);
    const expired = await api(sim, token, '/api/v2/outbound/campaigns');
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ code: 'bad.credentials', status: 401 });

    const fresh = await getToken(sim);
    expect(fresh).not.toBe(token);
    expect((await api(sim, fresh, '/api/v2/outbound/campaigns')).status).toBe(200);
  });

  it('revokeTokens invalidates issued tokens', async () => {
    const s = await startSimulator({ demoCampaigns: false });
    try {
      const token = await getToken(s);
      expect(await s.revokeTokens()).toBe(1);
      expect((await api(s, token, '/api/v2/outbound/campaigns')).status).toBe(401);
    } finally {
      await s.close();
    }
  });

  it('rate-limits token requests per client', async () => {
    const s = await startSimulator({ demoCampaigns: false, tokenRateLimitPerMinute: 2 });
    try {
      expect((await tokenRequest(s)).status).toBe(200);
      expect((await tokenRequest(s)).status).toBe(200);
      const third = await tokenRequest(s);
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });
});
