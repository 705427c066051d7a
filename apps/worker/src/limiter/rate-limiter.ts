import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { defineLimiterScripts } from './script';

export interface RateLimiterOptions {
  /** Key prefix (QUEUE_PREFIX); every key lives under `${prefix}:genesys:`. */
  prefix: string;
  /** Smooth rate, calls per second across all processes; non-integer values (0.5, 2.5) work. */
  maxPerSecond: number;
  /** Extra calls allowed above the smooth rate (after idle time). Whole number >= 0. */
  burst: number;
  /**
   * The hard cap counts grants in a window of 1000 ms + this margin (default 100), so that
   * network and event-loop jitter between the grant and the request reaching Genesys cannot
   * push an observer's one-second window above maxPerSecond + burst. 100 ms covers a busy
   * event loop; at worst it costs 9% of the rate (burst 0), which stays above the 90% target.
   */
  windowMarginMs?: number;
  /** Upper bound of the random delay added to every wait (default 3 ms). */
  maxJitterMs?: number;
}

export interface AcquireOptions {
  /** Stops waiting (at once, also while asleep); acquire then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /**
   * Stops waiting after this long (rejects with a TimeoutError, like `AbortSignal.timeout`). The
   * timer is only set up when the first try has to wait, so a granted call costs no timer.
   */
  timeoutMs?: number;
}

/**
 * A rate limit shared by every process that uses the same Redis and prefix.
 * In every sliding one-second window at most `floor(maxPerSecond + burst)` (at least 1) calls are
 * granted; with a backlog the long-run rate is maxPerSecond. See script.ts for the algorithm.
 */
export class RateLimiter {
  readonly keys: { tat: string; log: string; pauseUntil: string };
  readonly cap: number;
  private readonly intervalUs: number;
  private readonly toleranceUs: number;
  private readonly windowUs: number;
  private readonly maxJitterMs: number;
  private readonly id = randomBytes(6).toString('hex');
  private seq = 0;

  constructor(
    private readonly redis: Redis,
    readonly options: RateLimiterOptions,
  ) {
    const { prefix, maxPerSecond, burst } = options;
    if (!(maxPerSecond > 0) || !Number.isFinite(maxPerSecond)) {
      throw new RangeError(
        `RateLimiter maxPerSecond must be a positive number, got ${maxPerSecond}`,
      );
    }
    if (!Number.isInteger(burst) || burst < 0) {
      throw new RangeError(`RateLimiter burst must be a whole number >= 0, got ${burst}`);
    }
    const margin = options.windowMarginMs ?? 100;
    if (!(margin >= 0))
      throw new RangeError(`RateLimiter windowMarginMs must be >= 0, got ${margin}`);
    this.keys = {
      tat: `${prefix}:genesys:limiter:tat`,
      log: `${prefix}:genesys:limiter:log`,
      pauseUntil: `${prefix}:genesys:pause-until`,
    };
    this.intervalUs = Math.round(1_000_000 / maxPerSecond);
    this.toleranceUs = burst * this.intervalUs;
    this.windowUs = Math.round((1000 + margin) * 1000);
    this.cap = Math.max(1, Math.floor(maxPerSecond + burst + 1e-9));
    this.maxJitterMs = options.maxJitterMs ?? 3;
    defineLimiterScripts(redis);
  }

  /** Resolves when this process may start one call (waits as long as needed, retrying in Redis). */
  async acquire(opts: AcquireOptions = {}): Promise<void> {
    const started = Date.now();
    let signal = opts.signal;
    for (;;) {
      signal?.throwIfAborted();
      const waitUs = await this.tryAcquire();
      if (waitUs === 0) return;
      if (opts.timeoutMs !== undefined && signal === opts.signal) {
        const timeout = AbortSignal.timeout(Math.max(1, opts.timeoutMs - (Date.now() - started)));
        signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      }
      try {
        const ms = Math.ceil(waitUs / 1000) + Math.random() * this.maxJitterMs;
        await sleep(ms, undefined, { signal });
      } catch (err) {
        signal?.throwIfAborted(); // the signal's reason, not Node's AbortError wrapping it
        throw err;
      }
    }
  }

  /** One attempt: 0 when granted, else the microseconds to wait before trying again. */
  async tryAcquire(): Promise<number> {
    const member = `${this.id}:${(this.seq = (this.seq + 1) % 1e9)}`;
    const { tat, log, pauseUntil } = this.keys;
    const result = await this.redis.genesysLimiterAcquire(
      tat,
      log,
      pauseUntil,
      String(this.intervalUs),
      String(this.toleranceUs),
      String(this.cap),
      String(this.windowUs),
      member,
    );
    return Number(result);
  }

  /**
   * Pauses every process sharing this limiter for `ms` (a 429's Retry-After): acquire grants
   * nothing until then. A longer pause already in place is kept.
   */
  async pauseFor(ms: number): Promise<void> {
    if (!(ms > 0)) return;
    await this.redis.genesysLimiterPause(this.keys.pauseUntil, String(Math.ceil(ms)));
  }

  /** Milliseconds left of the shared pause (0 when none). */
  async pausedForMs(): Promise<number> {
    const [untilUs, time] = await Promise.all([
      this.redis.get(this.keys.pauseUntil),
      this.redis.time(),
    ]);
    if (untilUs === null) return 0;
    const nowUs = Number(time[0]) * 1_000_000 + Number(time[1]);
    return Math.max(0, Math.ceil((Number(untilUs) - nowUs) / 1000));
  }
}
