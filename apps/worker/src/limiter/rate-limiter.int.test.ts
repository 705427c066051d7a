import { describe, expect, it, type TestContext } from 'vitest';
import { setMaxListeners } from 'node:events';
import { Redis } from 'ioredis';
import { createRedisFixture, type RedisFixture } from '@wrapup/shared/testing';
import { RateLimiter, type RateLimiterOptions } from './rate-limiter';
import { measureWindows } from './measure';

type Ctx = Pick<TestContext, 'onTestFinished'>;

async function setup(ctx: Ctx, label: string) {
  const fx = await createRedisFixture(label);
  ctx.onTestFinished(() => fx.cleanup());
  return fx;
}

/** One limiter per "process": each with its own Redis connection. */
function limiters(ctx: Ctx, fx: RedisFixture, n: number, opts: Omit<RateLimiterOptions, 'prefix'>) {
  return Array.from({ length: n }, () => {
    const redis = new Redis(fx.redisUrl, { maxRetriesPerRequest: null });
    ctx.onTestFinished(async () => {
      await redis.quit();
    });
    return new RateLimiter(redis, { prefix: fx.prefix, ...opts });
  });
}

/** Every limiter runs `loops` concurrent callers that acquire until `durationMs` is over. */
async function hammer(all: RateLimiter[], loops: number, durationMs: number) {
  const grants: number[] = [];
  const signal = AbortSignal.timeout(durationMs);
  setMaxListeners(100, signal);
  await Promise.all(
    all.flatMap((limiter) =>
      Array.from({ length: loops }, async () => {
        while (!signal.aborted) {
          try {
            await limiter.acquire({ signal });
          } catch {
            return; // the test's time is over
          }
          grants.push(Date.now());
        }
      }),
    ),
  );
  return grants;
}

/** `procs` limiters on a fresh fixture, hammered by `loops` callers each; the grants' windows. */
async function measured(
  ctx: Ctx,
  label: string,
  procs: number,
  opts: Omit<RateLimiterOptions, 'prefix'>,
  loops: number,
  durationMs: number,
) {
  const all = limiters(ctx, await setup(ctx, label), procs, opts);
  return { all, m: measureWindows(await hammer(all, loops, durationMs)) };
}

describe('RateLimiter across processes (real Redis)', () => {
  it.concurrent(
    'keeps every sliding second within max + burst and reaches >= 90% of max',
    async (ctx) => {
      const { m } = await measured(ctx, 'lim-int', 4, { maxPerSecond: 10, burst: 2 }, 5, 3000);
      expect(m.maxInAnyWindow).toBeLessThanOrEqual(12);
      expect(m.ratePerSecond).toBeGreaterThanOrEqual(9);
      // at most 1 + burst at once, then the smooth rate
      expect(m.count).toBeLessThanOrEqual(1 + 2 + 10 * 3 + 1);
    },
  );

  it.concurrent('works with a non-integer rate (2.5/s, burst 1: cap 3 per second)', async (ctx) => {
    const { all, m } = await measured(ctx, 'lim-frac', 3, { maxPerSecond: 2.5, burst: 1 }, 3, 3200);
    expect(all[0]!.cap).toBe(3);
    expect(m.maxInAnyWindow).toBeLessThanOrEqual(3);
    expect(m.ratePerSecond).toBeGreaterThanOrEqual(2.25);
    expect(m.count).toBeLessThanOrEqual(1 + 1 + 2.5 * 3.2 + 1);
  });

  it.concurrent('works with a rate below one per second (0.5/s, burst 0)', async (ctx) => {
    const fx = await setup(ctx, 'lim-slow');
    const all = limiters(ctx, fx, 2, { maxPerSecond: 0.5, burst: 0 });
    const grants = await hammer(all, 2, 4700);
    grants.sort((a, b) => a - b);
    expect(grants).toHaveLength(3); // about 0, 2000, 4000
    for (let i = 1; i < grants.length; i++) {
      expect(grants[i]! - grants[i - 1]!).toBeGreaterThanOrEqual(1950);
      expect(grants[i]! - grants[i - 1]!).toBeLessThan(2300);
    }
  });

  it.concurrent(
    'lets the burst through at once after idle time, then the smooth rate',
    async (ctx) => {
      const fx = await setup(ctx, 'lim-burst');
      const [limiter] = limiters(ctx, fx, 1, { maxPerSecond: 4, burst: 2 });
      const t0 = Date.now();
      await Promise.all([limiter!.acquire(), limiter!.acquire(), limiter!.acquire()]);
      expect(Date.now() - t0).toBeLessThan(150);
      await limiter!.acquire();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
    },
  );

  it.concurrent(
    'pauseFor blocks every process for its duration and keys live under the prefix with TTLs',
    async (ctx) => {
      const fx = await setup(ctx, 'lim-pause');
      const [a, b, c] = limiters(ctx, fx, 3, { maxPerSecond: 50, burst: 5 });
      await a!.acquire();
      await a!.pauseFor(700);
      await a!.pauseFor(100); // never shortens the longer pause
      expect(await b!.pausedForMs()).toBeGreaterThan(500);

      const t0 = Date.now();
      const waited = await Promise.all(
        [a!, b!, c!].map(async (l) => {
          await l.acquire();
          return Date.now() - t0;
        }),
      );
      for (const ms of waited) {
        expect(ms).toBeGreaterThanOrEqual(550);
        expect(ms).toBeLessThan(1200);
      }
      expect(await c!.pausedForMs()).toBe(0);

      const keys = await fx.redis.keys(`${fx.prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key.startsWith(`${fx.prefix}:genesys:`)).toBe(true);
        expect(await fx.redis.pttl(key)).toBeGreaterThan(0);
      }
    },
  );

  it.concurrent('acquire stops waiting when its signal aborts', async (ctx) => {
    const fx = await setup(ctx, 'lim-abort');
    const [limiter] = limiters(ctx, fx, 1, { maxPerSecond: 1, burst: 0 });
    await limiter!.pauseFor(5000);
    const t0 = Date.now();
    // the signal's own reason, as documented (not Node's AbortError around it)
    await expect(limiter!.acquire({ signal: AbortSignal.timeout(200) })).rejects.toThrow(
      expect.objectContaining({ name: 'TimeoutError' }),
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(limiter!.acquire({ timeoutMs: 200 })).rejects.toThrow(
      expect.objectContaining({ name: 'TimeoutError' }),
    );
  });

  it('rejects nonsense options', (ctx) => {
    const redis = new Redis({ lazyConnect: true }); // never connects
    ctx.onTestFinished(() => redis.disconnect());
    expect(() => new RateLimiter(redis, { prefix: 'p', maxPerSecond: 0, burst: 1 })).toThrow(
      /maxPerSecond/,
    );
    expect(() => new RateLimiter(redis, { prefix: 'p', maxPerSecond: 4, burst: 1.5 })).toThrow(
      /burst/,
    );
    expect(new RateLimiter(redis, { prefix: 'p', maxPerSecond: 0.5, burst: 0 }).cap).toBe(1);
    expect(new RateLimiter(redis, { prefix: 'p', maxPerSecond: 4, burst: 1 }).cap).toBe(5);
  });
});
