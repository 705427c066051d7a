import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Simulator } from '@wrapup/genesys-sim';
import { createRedisFixture, type RedisFixture } from '@wrapup/shared/testing';
import { apiRequests, clientFor, simWith, tokenRequests } from '../../testing/genesys';
import { renewMarginMs } from './token';
import { sharedTokenKey, type SharedTokenOptions } from './shared-token';

/**
 * Issue 16: one OAuth token for every worker process, kept encrypted in Redis. Real Redis, the
 * simulator over HTTP; each "process" is a GenesysClient with its own Redis connection.
 */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function sim(opts: Parameters<typeof simWith>[0] = {}): Promise<Simulator> {
  const s = await simWith(opts);
  cleanups.push(() => s.close());
  return s;
}

async function redisFixture(): Promise<RedisFixture> {
  const fx = await createRedisFixture('token');
  cleanups.push(() => fx.cleanup());
  return fx;
}

/** A worker process's command connection (as runtime.ts makes it), ready. */
async function connection(url: string): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableAutoPipelining: true });
  cleanups.push(() => Promise.resolve(redis.disconnect()));
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', resolve);
    redis.once('error', reject);
  });
  return redis;
}

/** A "worker process": a client sharing its token through `fx` under the fixture's prefix. */
async function processOn(
  s: Simulator,
  fx: RedisFixture,
  opts: Partial<SharedTokenOptions> & { clientSecret?: string } = {},
) {
  const { clientSecret, ...shared } = opts;
  const redis = await connection(fx.redisUrl);
  return clientFor(s, {
    ...(clientSecret !== undefined && { clientSecret }),
    sharedToken: { redis, prefix: fx.prefix, ...shared },
  });
}

/** The bearer tokens the simulator issued, in full (its request log keeps only hashes). */
const issuedTokens = (s: Simulator) => [...s.state.tokens.keys()];

describe('the OAuth token shared through Redis', () => {
  it('two processes on one prefix make one /oauth/token call between them, a later one none', async () => {
    const s = await sim();
    await s.createCampaign({ id: 'camp-share', contactCount: 5 });
    const fx = await redisFixture();
    const a = await processOn(s, fx);
    const b = await processOn(s, fx);

    // both start at once: one takes the lock and fetches, the other waits for its token
    const all = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).client.getCampaign('camp-share')),
    );
    expect(all.every((c) => c?.id === 'camp-share')).toBe(true);
    expect(await tokenRequests(s)).toHaveLength(1);

    // a process started later reads it from Redis
    const c = await processOn(s, fx);
    expect((await c.client.getCampaign('camp-share'))?.id).toBe('camp-share');
    expect(await tokenRequests(s)).toHaveLength(1);
    const api = await apiRequests(s);
    expect(api).toHaveLength(21);
    expect(new Set(api.map((r) => r.token)).size).toBe(1);
    for (const { lines } of [a, b, c]) expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it('Redis holds the token encrypted, never in plain, until its renewal time', async () => {
    const s = await sim({ tokenTtlSeconds: 3600 });
    await s.createCampaign({ id: 'camp-enc', contactCount: 5 });
    const fx = await redisFixture();
    const a = await processOn(s, fx);
    await a.client.getCampaign('camp-enc');
    const [token] = issuedTokens(s);
    expect(token).toEqual(expect.any(String));

    const key = sharedTokenKey(fx.prefix, s.clientId, s.clientSecret);
    const stored = await fx.redis.get(key);
    expect(stored).toEqual(expect.any(String));
    // neither the token nor any encoding of it, in the value or the key name
    const forms = [
      token!,
      Buffer.from(token!).toString('base64'),
      Buffer.from(token!).toString('base64url'),
      Buffer.from(token!).toString('hex'),
    ];
    for (const form of forms) {
      expect(stored).not.toContain(form);
      expect(key).not.toContain(form);
    }
    expect(key).not.toContain(s.clientSecret);
    expect(stored).not.toContain(s.clientSecret);
    // nothing else under the prefix holds it either
    const keys = await fx.redis.keys(`${fx.prefix}*`);
    expect(keys).toEqual([key]);
    // stored with its expiry: until the renewal point (1 h minus the 60 s margin)
    const pttl = await fx.redis.pttl(key);
    expect(pttl).toBeGreaterThan(3_600_000 - renewMarginMs(3_600_000) - 10_000);
    expect(pttl).toBeLessThanOrEqual(3_600_000 - renewMarginMs(3_600_000));
  });

  it('after a 401 one process fetches one new token and both then use it', async () => {
    const s = await sim();
    await s.createCampaign({ id: 'camp-401s', contactCount: 5 });
    const fx = await redisFixture();
    const a = await processOn(s, fx);
    const b = await processOn(s, fx);
    await a.client.getCampaign('camp-401s');
    await b.client.getCampaign('camp-401s');
    expect(await tokenRequests(s)).toHaveLength(1);
    const key = sharedTokenKey(fx.prefix, s.clientId, s.clientSecret);
    const first = await fx.redis.get(key);

    expect(await s.revokeTokens()).toBe(1);
    // A meets the 401 first: drops the refused token here and in Redis, fetches a new one
    expect((await a.client.getCampaign('camp-401s'))?.id).toBe('camp-401s');
    expect(await tokenRequests(s)).toHaveLength(2);
    const second = await fx.redis.get(key);
    expect(second).not.toBeNull();
    expect(second).not.toBe(first);
    // B still holds the old one: its 401 must not delete A's new token, and B takes that one
    expect((await b.client.getCampaign('camp-401s'))?.id).toBe('camp-401s');
    expect(await tokenRequests(s)).toHaveLength(2);
    expect(await fx.redis.get(key)).toBe(second);

    const log = (await s.requestLog()).filter((r) => r.path.startsWith('/api/'));
    expect(log.map((r) => r.status)).toEqual([200, 200, 401, 200, 401, 200]);
    const [t1, , , t2a, , t2b] = log.map((r) => r.token);
    expect(t2a).not.toBe(t1);
    expect(t2b).toBe(t2a);

    // both again at once after another revocation: still one new token between them
    await s.revokeTokens();
    await Promise.all([a.client.getCampaign('camp-401s'), b.client.getCampaign('camp-401s')]);
    expect(await tokenRequests(s)).toHaveLength(3);
    const after = (await apiRequests(s)).slice(-2);
    expect(after.map((r) => r.status)).toEqual([200, 200]);
    expect(after[0]!.token).toBe(after[1]!.token);
  });

  it('a process with another client secret cannot use the stored token: it fetches its own', async () => {
    const s1 = await sim();
    // the same client id with another secret (a second org, or a rotated secret)
    const s2 = await sim({ clientSecret: 'another-secret-of-at-least-some-length' });
    expect(s2.clientId).toBe(s1.clientId);
    await s1.createCampaign({ id: 'camp-1', contactCount: 5 });
    await s2.createCampaign({ id: 'camp-2', contactCount: 5 });
    const fx = await redisFixture();
    const a = await processOn(s1, fx);
    await a.client.getCampaign('camp-1');

    const b = await processOn(s2, fx, { clientSecret: s2.clientSecret });
    expect((await b.client.getCampaign('camp-2'))?.id).toBe('camp-2');
    expect((await s2.requestLog()).map((r) => `${r.path} ${r.status}`)).toEqual([
      '/oauth/token 200',
      '/api/v2/outbound/campaigns/camp-2 200',
    ]);

    // even A's value put under B's own key is useless without A's secret: B's next process
    // cannot decrypt it and fetches a token of its own (no 401 from using A's token)
    const aKey = sharedTokenKey(fx.prefix, s1.clientId, s1.clientSecret);
    const bKey = sharedTokenKey(fx.prefix, s2.clientId, s2.clientSecret);
    expect(bKey).not.toBe(aKey);
    await fx.redis.set(bKey, (await fx.redis.get(aKey))!, 'PX', 60_000);
    const b2 = await processOn(s2, fx, { clientSecret: s2.clientSecret });
    expect((await b2.client.getCampaign('camp-2'))?.id).toBe('camp-2');
    expect((await s2.requestLog()).map((r) => `${r.path} ${r.status}`)).toEqual([
      '/oauth/token 200',
      '/api/v2/outbound/campaigns/camp-2 200',
      '/oauth/token 200',
      '/api/v2/outbound/campaigns/camp-2 200',
    ]);
    // A's own token is untouched and still used by A's processes
    const a2 = await processOn(s1, fx);
    await a2.client.getCampaign('camp-1');
    expect(await tokenRequests(s1)).toHaveLength(1);
  });

  it('a lock holder that never delivers: the others fetch their own after the wait', async () => {
    const s = await sim();
    await s.createCampaign({ id: 'camp-lock', contactCount: 5 });
    const fx = await redisFixture();
    const key = sharedTokenKey(fx.prefix, s.clientId, s.clientSecret);
    // a process took the lock and died
    await fx.redis.set(`${key}:lock`, 'dead-process', 'PX', 60_000);
    const a = await processOn(s, fx, { waitMs: 400 });
    const started = Date.now();
    expect((await a.client.getCampaign('camp-lock'))?.id).toBe('camp-lock');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await tokenRequests(s)).toHaveLength(1);
    // and it still shares what it fetched
    expect(await fx.redis.get(key)).toEqual(expect.any(String));
    const b = await processOn(s, fx, { waitMs: 400 });
    await b.client.getCampaign('camp-lock');
    expect(await tokenRequests(s)).toHaveLength(1);
  });

  it('Redis down: calls still succeed with a token of the process own, one warning', async () => {
    const s = await sim({ tokenTtlSeconds: 2 });
    await s.createCampaign({ id: 'camp-down', contactCount: 5 });
    // nothing listens there: the connection keeps reconnecting, as a worker's does in an outage
    const port = await freePort();
    const clients = [0, 1].map(() => {
      const redis = new Redis(`redis://127.0.0.1:${port}`, {
        maxRetriesPerRequest: null,
        retryStrategy: () => 100,
      });
      redis.on('error', () => undefined);
      cleanups.push(() => Promise.resolve(redis.disconnect()));
      return clientFor(s, { sharedToken: { redis, prefix: 'unused' } });
    });
    const started = Date.now();
    const all = await Promise.all(
      clients.flatMap(({ client }) => [1, 2, 3].map(() => client.getCampaign('camp-down'))),
    );
    expect(all.every((c) => c?.id === 'camp-down')).toBe(true);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await tokenRequests(s)).toHaveLength(2); // one each, as without sharing
    // renewal while Redis is still down: a new token each, no second warning
    await new Promise((r) => setTimeout(r, 1_900));
    for (const { client } of clients)
      expect((await client.getCampaign('camp-down'))?.id).toBe('camp-down');
    expect(await tokenRequests(s)).toHaveLength(4);
    for (const { lines } of clients) {
      const warned = lines.filter((l) => l.level === 40);
      expect(warned).toHaveLength(1);
      expect(warned[0]!.msg).toContain('redis failed');
    }
  });

  it('Redis that stops answering: each command is bounded, calls still succeed', async () => {
    const s = await sim({ tokenTtlSeconds: 2 });
    await s.createCampaign({ id: 'camp-hang', contactCount: 5 });
    const fx = await redisFixture();
    const proxy = await freezableProxy(fx.redisUrl);
    const redis = await connection(`redis://127.0.0.1:${proxy.port}`);
    const { client, lines } = clientFor(s, {
      sharedToken: { redis, prefix: fx.prefix, commandTimeoutMs: 200 },
    });
    expect((await client.getCampaign('camp-hang'))?.id).toBe('camp-hang');
    expect(await fx.redis.keys(`${fx.prefix}*`)).toHaveLength(1); // shared while Redis answered

    // the connection stays up and ready, but nothing comes back (a partition without a reset)
    proxy.freeze();
    await new Promise((r) => setTimeout(r, 1_900)); // past the renewal point
    const started = Date.now();
    expect((await client.getCampaign('camp-hang'))?.id).toBe('camp-hang');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await tokenRequests(s)).toHaveLength(2);
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP proxy to Redis that, once frozen, forwards nothing more either way. */
async function freezableProxy(redisUrl: string): Promise<{ port: number; freeze(): void }> {
  const target = new URL(redisUrl);
  let frozen = false;
  const sockets: Socket[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    sockets.push(client, upstream);
    for (const socket of [client, upstream]) socket.on('error', () => undefined);
    client.on('data', (d) => {
      if (!frozen) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!frozen) client.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => {
      frozen = true;
    },
  };
}
