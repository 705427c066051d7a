import type { Redis, Result } from 'ioredis';
import type { Fence } from '@wrapup/runs';
import type { Logger } from '../logger';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** LEASE_ACQUIRE_LUA (defineLeaseScripts): lease key, counter key, ttl ms. */
    eventsLeaseAcquire(
      leaseKey: string,
      counterKey: string,
      ttlMs: number,
    ): Result<string | null, Context>;
    /** LEASE_RENEW_LUA (defineLeaseScripts): lease key, token, ttl ms. */
    eventsLeaseRenew(leaseKey: string, token: string, ttlMs: number): Result<number, Context>;
    /** LEASE_RELEASE_LUA (defineLeaseScripts): lease key, token. */
    eventsLeaseRelease(leaseKey: string, token: string): Result<number, Context>;
  }
}

/** The Notification API listener's lease: whoever holds it is the one process forwarding events. */
export const leaseKey = (prefix: string) => `${prefix}:events:lease`;
/** Incremented on every acquisition: each holder's fencing token is larger than the last one's. */
export const leaseCounterKey = (prefix: string) => `${prefix}:events:lease:token`;

/**
 * KEYS 1 lease, 2 counter; ARGV 1 ttl ms. When the lease is free: a new token (INCR of the counter)
 * is set on it with the ttl (SET NX PX, in one script so no token is spent on a lost race) and
 * returned; else nil.
 */
const LEASE_ACQUIRE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = tostring(redis.call('INCR', KEYS[2]))
redis.call('SET', KEYS[1], token, 'NX', 'PX', tonumber(ARGV[1]))
return token
`;

/** Compare-and-extend. KEYS 1 lease; ARGV 1 token, 2 ttl ms. 1 when extended, 0 when not ours. */
const LEASE_RENEW_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`;

/** Compare-and-delete. KEYS 1 lease; ARGV 1 token. 1 when deleted, 0 when not ours. */
const LEASE_RELEASE_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

export function defineLeaseScripts(redis: Redis): void {
  redis.defineCommand('eventsLeaseAcquire', { numberOfKeys: 2, lua: LEASE_ACQUIRE_LUA });
  redis.defineCommand('eventsLeaseRenew', { numberOfKeys: 1, lua: LEASE_RENEW_LUA });
  redis.defineCommand('eventsLeaseRelease', { numberOfKeys: 1, lua: LEASE_RELEASE_LUA });
}

export interface LeaseOptions {
  redis: Redis;
  /** QUEUE_PREFIX: the lease is `${prefix}:events:lease`. */
  prefix: string;
  /** EVENT_SOURCE_LEASE_MS: the key's ttl; renewed every third of it. */
  leaseMs: number;
  logger: Logger;
  /** Called when this process takes the lease (its fence: key and token). */
  onAcquired(fence: Fence): void;
  /** Called once when the lease is lost or given up; forwarding must stop at once. */
  onLost(reason: string): void;
  /** Clock (tests). Default Date.now. */
  now?: () => number;
}

export interface LeaseStatus {
  held: boolean;
  token?: string;
  /** Epoch ms until which this process may act as the holder (renewal start + key ttl - margin). */
  validUntil?: number;
}

/**
 * Keeps trying to take the lease; once held, renews it every `leaseMs / 3` with compare-and-extend.
 * The key lives `5/6 · leaseMs` and the other processes look for a free lease every `leaseMs / 6`,
 * so a dead holder is replaced within `leaseMs`. The holder counts as holding only until its local
 * validity ends: the start of its latest successful renewal (or acquisition) plus the key's ttl
 * minus a small margin (for clock rate
 * differences and the renewal's own round trip). A renewal that answers "not yours", or none
 * succeeding before the validity ends (Redis away, a hung command), loses the lease at once.
 * Every write made as the holder is fenced in Redis as well (the token is checked in the same
 * script as the write), so a holder that is paused past its validity cannot write either.
 */
export class LeaseKeeper {
  readonly key: string;
  private readonly counterKey: string;
  private readonly now: () => number;
  private readonly marginMs: number;
  /** How long the Redis key lives after each acquisition or renewal (PX). */
  private readonly ttlMs: number;
  private token: string | undefined;
  private validUntil = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: LeaseOptions) {
    if (!(opts.leaseMs >= 100)) throw new Error('LeaseKeeper: leaseMs must be at least 100');
    this.key = leaseKey(opts.prefix);
    this.counterKey = leaseCounterKey(opts.prefix);
    this.now = opts.now ?? Date.now;
    this.marginMs = Math.max(20, Math.min(1_000, Math.round(opts.leaseMs * 0.05)));
    // The key lives five sixths of the lease and the others look for a free lease every sixth: a
    // dead holder's lease is taken over within EVENT_SOURCE_LEASE_MS of its last renewal.
    this.ttlMs = Math.round((opts.leaseMs * 5) / 6);
    defineLeaseScripts(opts.redis);
  }

  /** Starts trying to take the lease (at once, then every sixth of the lease). */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** The fence while the lease is held and locally valid; undefined otherwise. */
  fence(): Fence | undefined {
    return this.isValid() ? { key: this.key, token: this.token as string } : undefined;
  }

  /** True while held and within the local validity. `token`: only for that holding. */
  isValid(token?: string): boolean {
    if (this.token === undefined || this.now() >= this.validUntil) return false;
    return token === undefined || token === this.token;
  }

  status(): LeaseStatus {
    return this.token === undefined
      ? { held: false }
      : { held: true, token: this.token, validUntil: this.validUntil };
  }

  /**
   * Gives the lease up locally (e.g. a write answered `fenced`): forwarding stops at once. With
   * `token`, only that holding is given up (a late answer for an earlier holding leaves a newer
   * one alone).
   */
  markLost(reason: string, token?: string): void {
    if (token !== undefined && token !== this.token) return;
    this.lose(reason);
  }

  /** Stops trying; a held lease is released (compare-and-delete) so another process takes over. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    const token = this.token;
    this.lose('stopping');
    if (token !== undefined) {
      await withTimeout(this.opts.redis.eventsLeaseRelease(this.key, token), 1_000).catch(
        (err: unknown) => this.opts.logger.warn({ err }, 'event source lease: release failed'),
      );
    }
    // A tick still waiting on Redis is not awaited (with Redis away it may never answer): when it
    // does, it sees the stop (an acquisition is given back, a renewal finds the token gone).
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.tickTimer = setTimeout(() => {
      this.tickTimer = undefined;
      void this.tick().finally(() => {
        // the holder renews every third of the lease; the others look for a free lease twice as
        // often (one cheap script call), so a dead holder's lease is taken soon after it expires;
        // a little jitter so several processes do not poll in step
        const every = this.token === undefined ? this.opts.leaseMs / 6 : this.opts.leaseMs / 3;
        this.schedule(Math.round(every * (0.9 + Math.random() * 0.1)));
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const { redis, leaseMs, logger } = this.opts;
    const started = this.now();
    const held = this.token;
    if (held === undefined) {
      let token: string | null;
      try {
        token = await redis.eventsLeaseAcquire(this.key, this.counterKey, this.ttlMs);
      } catch (err) {
        logger.warn({ err }, 'event source lease: acquire failed');
        return;
      }
      if (token === null || this.stopped) {
        // taken just as we stopped: give it back at once
        if (token !== null) await redis.eventsLeaseRelease(this.key, token).catch(() => undefined);
        return;
      }
      this.token = token;
      this.extendValidity(started);
      if (!this.isValid(token)) {
        // the acquisition took longer than the lease itself
        this.lose('acquired too late to use');
        return;
      }
      logger.info({ token, leaseMs, ttlMs: this.ttlMs }, 'event source lease acquired');
      this.opts.onAcquired({ key: this.key, token });
      return;
    }
    let renewed: number;
    try {
      renewed = await redis.eventsLeaseRenew(this.key, held, this.ttlMs);
    } catch (err) {
      // not lost yet: the validity timer ends it if no renewal succeeds in time
      logger.warn({ err }, 'event source lease: renewal failed');
      return;
    }
    if (this.token !== held) return; // lost (or stopped) while renewing
    if (renewed === 1) this.extendValidity(started);
    else this.lose('the lease is held by another process (or expired)');
  }

  private extendValidity(renewalStart: number): void {
    this.validUntil = renewalStart + this.ttlMs - this.marginMs;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    const token = this.token;
    this.expiryTimer = setTimeout(
      () => {
        if (this.token === token) this.lose('no renewal succeeded within the lease');
      },
      Math.max(0, this.validUntil - this.now()),
    );
  }

  private lose(reason: string): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    const token = this.token;
    if (token === undefined) return;
    this.token = undefined;
    this.validUntil = 0;
    this.opts.logger[reason === 'stopping' ? 'info' : 'warn'](
      { token, reason },
      reason === 'stopping' ? 'event source lease given up' : 'event source lease lost',
    );
    this.opts.onLost(reason);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
