import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Fence } from '@wrapup/runs';
import {
  createRedisFixture,
  startTcpProxy,
  waitFor,
  type RedisFixture,
  type TcpProxy,
} from '@wrapup/shared/testing';
import { LeaseKeeper, leaseCounterKey, leaseKey } from './lease';

const logger = pino({ level: 'silent' });

/** A keeper on its own connection, recording what it was told. */
function keeper(url: string, prefix: string, leaseMs: number) {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const events: string[] = [];
  const fences: Fence[] = [];
  const k = new LeaseKeeper({
    redis,
    prefix,
    leaseMs,
    logger,
    onAcquired: (fence) => {
      fences.push(fence);
      events.push(`acquired ${fence.token}`);
    },
    onLost: (reason) => events.push(`lost: ${reason}`),
  });
  return { k, redis, events, fences };
}

describe('the event source lease', () => {
  let fx: RedisFixture | undefined;
  let proxy: TcpProxy | undefined;
  const open: ReturnType<typeof keeper>[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.k.stop();
      o.redis.disconnect();
    }
    await proxy?.close();
    await fx?.cleanup();
    fx = proxy = undefined;
  });
  const start = (url: string, prefix: string, leaseMs: number) => {
    const o = keeper(url, prefix, leaseMs);
    open.push(o);
    o.k.start();
    return o;
  };

  it('one holder at a time; a larger token on each acquisition; a stop hands the lease over', async () => {
    fx = await createRedisFixture('lease');
    const a = start(fx.redisUrl, fx.prefix, 600);
    const b = start(fx.redisUrl, fx.prefix, 600);
    await waitFor(() => a.k.isValid() || b.k.isValid(), { what: 'a holder' });
    // several renewals later, still exactly one holder, the same one
    const first = a.k.isValid() ? a : b;
    const other = first === a ? b : a;
    for (let i = 0; i < 12; i++) {
      expect(Number(a.k.isValid()) + Number(b.k.isValid())).toBe(1);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(first.k.isValid()).toBe(true);
    const token = first.fences[0]?.token;
    expect(await fx.redis.get(leaseKey(fx.prefix))).toBe(token);

    await first.k.stop();
    expect(first.events.at(-1)).toBe('lost: stopping');
    await waitFor(() => other.k.isValid(), { timeoutMs: 2_000, what: 'the hand-over' });
    expect(Number(other.fences[0]?.token)).toBeGreaterThan(Number(token));
    expect(await fx.redis.get(leaseCounterKey(fx.prefix))).toBe(other.fences[0]?.token);
  });

  it('a renewal that finds another token loses the lease at once', async () => {
    fx = await createRedisFixture('lease');
    const a = start(fx.redisUrl, fx.prefix, 900);
    await waitFor(() => a.k.isValid(), { what: 'the lease' });
    await fx.redis.set(leaseKey(fx.prefix), 'someone-else', 'PX', 5_000);
    await waitFor(() => !a.k.isValid(), { timeoutMs: 600, what: 'the loss (within a renewal)' });
    expect(a.events).toEqual([
      `acquired ${a.fences[0]?.token}`,
      'lost: the lease is held by another process (or expired)',
    ]);
    expect(a.k.fence()).toBeUndefined();
    // the other holder's key is left alone
    expect(await fx.redis.get(leaseKey(fx.prefix))).toBe('someone-else');
  });

  it('with Redis out of reach, the holder stops at its local validity, before the key expires', async () => {
    fx = await createRedisFixture('lease');
    const url = new URL(fx.redisUrl);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    // margin 150 ms (5%): the key outlives the holder's validity by about that much
    const leaseMs = 3_000;
    const a = start(`redis://127.0.0.1:${proxy.port}`, fx.prefix, leaseMs);
    await waitFor(() => a.k.isValid(), { what: 'the lease' });
    proxy.cutOff();
    const cutAt = Date.now();
    await waitFor(() => a.events.some((e) => e.startsWith('lost')), {
      timeoutMs: 4_000,
      intervalMs: 5,
      what: 'the loss',
    });
    const lostAfter = Date.now() - cutAt;
    expect(a.events.at(-1)).toBe('lost: no renewal succeeded within the lease');
    // the last renewal started at most leaseMs / 3 before the cut; the key lives 5/6 leaseMs from it
    expect(lostAfter).toBeLessThan(leaseMs);
    const ttl = await fx.redis.pttl(leaseKey(fx.prefix));
    expect(ttl).toBeGreaterThan(0); // the key is still there: the holder stopped first
  });
});
