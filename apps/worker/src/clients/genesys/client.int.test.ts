import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Simulator } from '@wrapup/genesys-sim';
import { createRedisFixture, waitFor } from '@wrapup/shared/testing';
import { RateLimiter } from '../../limiter';
import { GenesysError, GenesysNotFound } from './client';
import { apiRequests, clientFor, simWith, tokenRequests } from '../../testing/genesys';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function sim(opts: Parameters<typeof simWith>[0] = {}): Promise<Simulator> {
  const s = await simWith(opts);
  cleanups.push(() => s.close());
  return s;
}

async function limiters(n: number, opts: { maxPerSecond: number; burst: number }) {
  const fx = await createRedisFixture('genesys');
  cleanups.push(() => fx.cleanup());
  return Array.from({ length: n }, () => {
    const redis = new Redis(fx.redisUrl, { maxRetriesPerRequest: null });
    cleanups.push(() => redis.quit());
    return new RateLimiter(redis, { prefix: fx.prefix, ...opts });
  });
}

describe('Genesys client against the simulator', () => {
  it('returns typed campaign, progress and analytics, and logs correlation ids', async () => {
    const s = await sim();
    const created = await s.createCampaign({ id: 'camp-typed', contactCount: 40 });
    // finished ten minutes ago, so every call's after-call work is over and visible
    const run = await s.runToCompletion(created.id, {
      durationSeconds: 600,
      endAt: Date.now() - 600_000,
    });
    const { client, lines } = clientFor(s);

    const campaign = await client.getCampaign('camp-typed');
    expect(campaign).toMatchObject({ id: 'camp-typed', campaignStatus: 'complete' });
    expect(campaign?.contactList?.id).toEqual(expect.any(String));
    expect(await client.getCampaign('no-such-campaign')).toBeUndefined();

    const progress = await client.getCampaignProgress('camp-typed');
    // progress counts contacts; a contact may be dialled several times
    expect(progress.numberOfContactsCalled).toBe(run.expected.contactsCalled);
    expect(run.expected.contactsCalled).toBe(40);
    expect(progress.totalNumberOfContacts).toBe(40);
    await expect(client.getCampaignProgress('no-such-campaign')).rejects.toBeInstanceOf(
      GenesysNotFound,
    );

    const end = Date.now() + 60_000;
    const interval = `${new Date(end - 3_600_000).toISOString()}/${new Date(end).toISOString()}`;
    const analytics = await client.campaignAnalytics({ campaignId: 'camp-typed', interval });
    expect(analytics.intervals).toEqual([interval]);
    expect(analytics.raw).toHaveLength(1);
    expect(analytics.counts).toMatchObject({
      attempted: run.expected.attempted,
      connected: run.expected.connected,
      abandoned: run.expected.abandoned,
      handleSumMs: run.expected.handleSumMs,
      handleCount: run.expected.handled,
      talkCount: run.expected.talk.count,
      heldSumMs: run.expected.hold.sumMs,
      acwSumMs: run.expected.acw.sumMs,
      wrapUps: run.expected.wrapUpCodes,
    });
    expect(analytics.counts.attempted).toBeGreaterThanOrEqual(40);

    const answers = await apiRequests(s);
    const logged = lines.filter((l) => l.msg === 'genesys answer').map((l) => l.correlationId);
    for (const r of answers) expect(logged).toContain(r.correlationId);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('splits intervals longer than 7 days into several queries and sums them', async () => {
    const s = await sim();
    await s.createCampaign({ id: 'camp-long', contactCount: 60 });
    const run = await s.runToCompletion('camp-long', { durationSeconds: 18 * 86_400 });
    const { client } = clientFor(s);
    const end = Date.now() + 60_000;
    const interval = `${new Date(end - 20 * 86_400_000).toISOString()}/${new Date(end).toISOString()}`;

    const analytics = await client.campaignAnalytics({ campaignId: 'camp-long', interval });
    expect(analytics.intervals).toHaveLength(3);
    const queries = (await apiRequests(s)).filter((r) => r.path.endsWith('/aggregates/query'));
    expect(queries).toHaveLength(3);
    expect(queries.every((q) => q.status === 200)).toBe(true);
    expect(analytics.counts.attempted).toBe(run.expected.attempted);
    expect(analytics.counts.connected).toBe(run.expected.connected);
    expect(analytics.counts.handleSumMs).toBe(run.expected.handleSumMs);
    // conversations really were spread over more than one piece
    expect(analytics.raw.filter((r) => (r.results ?? []).length > 0).length).toBeGreaterThan(1);
  });

  it('asks for one token however many calls need it at once', async () => {
    const s = await sim();
    await s.createCampaign({ id: 'camp-many', contactCount: 5 });
    const { client } = clientFor(s);
    const all = await Promise.all(
      Array.from({ length: 50 }, () => client.getCampaign('camp-many')),
    );
    expect(all.every((c) => c?.id === 'camp-many')).toBe(true);
    expect(await tokenRequests(s)).toHaveLength(1);
    const tokens = new Set((await apiRequests(s)).map((r) => r.token));
    expect(tokens.size).toBe(1);
  });

  it('renews the token before it expires', async () => {
    const s = await sim({ tokenTtlSeconds: 2 });
    await s.createCampaign({ id: 'camp-renew', contactCount: 5 });
    const { client } = clientFor(s);
    await client.getCampaign('camp-renew');
    await client.getCampaign('camp-renew');
    expect(await tokenRequests(s)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1900)); // past the renewal point (2 s minus 10%)
    await client.getCampaign('camp-renew');
    expect(await tokenRequests(s)).toHaveLength(2);
    const api = await apiRequests(s);
    expect(api.every((r) => r.status === 200)).toBe(true);
    expect(new Set(api.map((r) => r.token)).size).toBe(2);
  });

  it('after a 401 fetches a fresh token once and retries once', async () => {
    const s = await sim();
    await s.createCampaign({ id: 'camp-401', contactCount: 5 });
    const { client } = clientFor(s);
    await client.getCampaign('camp-401');
    expect(await s.revokeTokens()).toBe(1);
    const campaign = await client.getCampaign('camp-401');
    expect(campaign?.id).toBe('camp-401');
    const log = (await s.requestLog()).map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(log).toEqual([
      'POST /oauth/token 200',
      'GET /api/v2/outbound/campaigns/camp-401 200',
      'GET /api/v2/outbound/campaigns/camp-401 401',
      'POST /oauth/token 200',
      'GET /api/v2/outbound/campaigns/camp-401 200',
    ]);
  });

  it('fails without retrying when the credentials are wrong', async () => {
    const s = await sim();
    const { client } = clientFor(s, { clientSecret: 'wrong' });
    const err = await client.getCampaign('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GenesysError);
    expect(err).toMatchObject({ status: 401, retryable: false });
    expect((err as GenesysError).correlationId).toEqual(expect.any(String));
    expect(await tokenRequests(s)).toHaveLength(1);
    expect(await apiRequests(s)).toHaveLength(0);
  });

  it('on a 429 with Retry-After pauses every process, retries and succeeds', async () => {
    const s = await sim({ rateLimitPerMinute: 2, retryAfterSeconds: 1 });
    await s.createCampaign({ id: 'camp-429', contactCount: 5 });
    const [mine, otherProcess] = await limiters(2, { maxPerSecond: 50, burst: 5 });
    const { client, lines } = clientFor(s, { limiter: mine });
    await client.getCampaign('camp-429');
    await client.getCampaign('camp-429');

    const started = Date.now();
    const third = client.getCampaign('camp-429');
    await waitFor(async () => (await apiRequests(s)).some((r) => r.status === 429), {
      what: 'a 429',
    });
    const paused = await otherProcess!.pausedForMs();
    expect(paused).toBeGreaterThan(500);
    expect(paused).toBeLessThanOrEqual(1000);
    await s.setFaults({ rateLimitPerMinute: 1000 });
    const blockedFrom = Date.now();
    await otherProcess!.acquire(); // another process waits out the pause too
    expect(Date.now() - blockedFrom).toBeGreaterThanOrEqual(paused - 100);

    expect((await third)?.id).toBe('camp-429');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const statuses = (await apiRequests(s)).map((r) => r.status);
    expect(statuses).toEqual([200, 200, 429, 200]);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]); // a 429 is not reported as a failure
    expect(lines.some((l) => l.msg.includes('rate limit') && l.retryAfterMs === 1000)).toBe(true);
  });

  it('on a 429 without Retry-After waits the default and succeeds', async () => {
    const s = await sim({ rateLimitPerMinute: 1, retryAfterHeader: false });
    await s.createCampaign({ id: 'camp-429b', contactCount: 5 });
    const [limiter] = await limiters(1, { maxPerSecond: 50, burst: 5 });
    const { client, lines } = clientFor(s, { limiter, defaultRetryAfterMs: 400 });
    await client.getCampaign('camp-429b');
    const started = Date.now();
    const second = client.getCampaign('camp-429b');
    await waitFor(async () => (await apiRequests(s)).some((r) => r.status === 429), {
      what: 'a 429',
    });
    await s.setFaults({ rateLimitPerMinute: 1000 });
    expect((await second)?.id).toBe('camp-429b');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(lines.some((l) => l.retryAfterMs === 400 && l.header === false)).toBe(true);
  });

  it('gives up at once when Retry-After asks for more than the maximum', async () => {
    const s = await sim({ rateLimitPerMinute: 1, retryAfterSeconds: 5 });
    await s.createCampaign({ id: 'camp-429c', contactCount: 5 });
    const [limiter] = await limiters(1, { maxPerSecond: 50, burst: 5 });
    const { client } = clientFor(s, { limiter, maxRetryAfterMs: 2000 });
    await client.getCampaign('camp-429c');
    const started = Date.now();
    const err = await client.getCampaign('camp-429c').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err).toMatchObject({
      name: 'GenesysError',
      status: 429,
      code: 'too.many.requests.retry.after',
      retryable: true,
    });
    const paused = await limiter!.pausedForMs();
    expect(paused).toBeGreaterThan(1000);
    expect(paused).toBeLessThanOrEqual(2000);
  });

  it('retries 503 and then succeeds; does not retry 500', async () => {
    const s = await sim();
    await s.createCampaign({ id: 'camp-503', contactCount: 5 });
    const { client } = clientFor(s);
    await s.setFaults({ failNext: 2, errorStatus: 503 });
    expect((await client.getCampaign('camp-503'))?.id).toBe('camp-503');
    expect((await apiRequests(s)).map((r) => r.status)).toEqual([503, 503, 200]);

    await s.resetLog();
    await s.setFaults({ failNext: 1, errorStatus: 500 });
    const err = await client.getCampaignProgress('camp-503').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 500, retryable: true, code: 'internal.server.error' });
    expect((await apiRequests(s)).map((r) => r.status)).toEqual([500]);
  });

  it('bounds the total retry time', async () => {
    const s = await sim();
    await s.createCampaign({ id: 'camp-down', contactCount: 5 });
    const { client, lines } = clientFor(s, { maxRetryTimeMs: 700, defaultRetryAfterMs: 200 });
    await client.getCampaign('camp-down'); // token first
    await s.setFaults({ errorRate: 1, errorStatus: 502 });
    const started = Date.now();
    const err = await client.getCampaign('camp-down').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(err).toMatchObject({ status: 502, retryable: true });
    const attempts = (await apiRequests(s)).filter((r) => r.status === 502).length;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(5);
    expect(lines.some((l) => l.level === 50 && typeof l.correlationId === 'string')).toBe(true);
  });

  it('times out slow answers, retries idempotent calls, and gives up within the budget', async () => {
    const s = await sim();
    await s.createCampaign({ id: 'camp-slow', contactCount: 5 });
    const { client } = clientFor(s, { timeoutMs: 150, retryBaseMs: 100 });
    await client.getCampaign('camp-slow');

    await s.setFaults({ latencyMs: 400 });
    setTimeout(() => void s.setFaults({ latencyMs: 0 }), 350);
    const started = Date.now();
    expect((await client.getCampaign('camp-slow'))?.id).toBe('camp-slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);

    const { client: impatient } = clientFor(s, {
      timeoutMs: 100,
      retryBaseMs: 50,
      maxRetryTimeMs: 600,
    });
    await s.setFaults({ latencyMs: 300 });
    const t0 = Date.now();
    const err = await impatient.getCampaign('camp-slow').catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'GenesysError',
      code: 'ETIMEDOUT',
      status: undefined,
      retryable: true,
    });
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('retries a dropped connection', async () => {
    const s = await sim();
    await s.createCampaign({ id: 'camp-drop', contactCount: 5 });
    const { client } = clientFor(s);
    await client.getCampaign('camp-drop');
    await s.setFaults({ dropNext: 1 });
    expect((await client.getCampaign('camp-drop'))?.id).toBe('camp-drop');
    expect((await apiRequests(s)).map((r) => r.status)).toEqual([200, 0, 200]);
  });

  it('sends the token request through the limiter too', async () => {
    const s = await sim();
    await s.createCampaign({ id: 'camp-lim', contactCount: 5 });
    const [limiter] = await limiters(1, { maxPerSecond: 4, burst: 0 });
    const { client } = clientFor(s, { limiter });
    await Promise.all([client.getCampaign('camp-lim'), client.getCampaign('camp-lim')]);
    const times = (await s.requestLog()).map((r) => Date.parse(r.time));
    expect(times).toHaveLength(3); // token + 2 calls, 250 ms apart
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(200);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(200);
  });
});
