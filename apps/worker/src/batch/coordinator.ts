import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { GenesysError } from '../clients/genesys/errors';
import { SHUTDOWN_CODE } from '../clients/genesys/http';

/** One check a run needs from Genesys; runs asking the same thing at the same time share it. */
export type BatchRequest =
  | { kind: 'campaign'; campaignId: string }
  | { kind: 'progress'; campaignId: string }
  | { kind: 'analytics'; campaignId: string; interval: string };

/** An answer as it travels through Redis: a JSON value, or the error a direct call would throw. */
export type BatchAnswer =
  | { ok: true; value: unknown }
  | {
      ok: false;
      message: string;
      code?: string | undefined;
      status?: number | undefined;
      retryable: boolean;
    };

/** Sends one batch: the distinct requests in, one answer per request key out. */
export type BatchSender = (
  requests: Map<string, BatchRequest>,
) => Promise<Map<string, BatchAnswer>>;

export interface BatchCoordinatorOptions {
  /** Commands (the runtime's shared connection). */
  redis: Redis;
  /** A connection of its own for the "batch answered" channel (subscribe mode). */
  subscriber: Redis;
  prefix: string;
  /** ANALYTICS_BATCH_WINDOW_MS: how long a new request waits for others before a send is tried. */
  windowMs: number;
  /** A waiter gives up after this long (the sender died) and the caller queries on its own. */
  waitTimeoutMs?: number;
  /**
   * How long a campaign lookup or progress answer is reused for the same question across batches;
   * default 0 (not reused: equal questions are shared within a batch only). A reused lookup can
   * hide a status change between two runs of a campaign (stopped, then resumed and completed
   * within the time), and the status decides whether progress describes the run. Aggregates
   * answers are never reused across batches: a run's next check must see newer data than its last.
   */
  answerTtlMs?: number;
  send: BatchSender;
  logger: Pick<Logger, 'debug' | 'info' | 'warn'>;
}

/** The request's identity: equal keys are one Genesys question. */
export const requestKey = (r: BatchRequest): string =>
  r.kind === 'analytics' ? `a|${r.campaignId}|${r.interval}` : `${r.kind[0]}|${r.campaignId}`;

/** A request that was not answered in time (the caller falls back to its own call). */
export class BatchTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchTimeout';
  }
}

interface Waiter {
  key: string;
  resolve(a: BatchAnswer): void;
}

/**
 * The batch window across worker processes, coordinated in Redis:
 * - a request is registered in the pending hash (`{prefix}:gbatch:pending`, entry id -> request;
 *   one HSET for the requests of one turn of the event loop);
 * - each process with waiting requests tries, every window, to take the send lock
 *   (`{prefix}:gbatch:lock`, SET NX PX); the holder takes every pending request at once (MULTI
 *   HGETALL + DEL), sends one batch for all of them (equal requests once), answers its own
 *   waiters in process, and for the other processes' entries writes each answer
 *   (`{prefix}:gbatch:r:{id}`, short TTL) and publishes them on `{prefix}:gbatch:done`;
 * - waiters in every process are answered from the message (or, if it was missed, from the answer
 *   key); one that waits past `waitTimeoutMs` (its sender died) gets BatchTimeout and its caller
 *   queries on its own;
 * - equal requests in one batch are sent once (validation results are shared between the runs
 *   waiting together); answers are not kept across batches unless `answerTtlMs` asks for it.
 */
export class BatchCoordinator {
  private readonly waiters = new Map<string, Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  private closed = false;
  private readonly keys: { pending: string; lock: string; channel: string };
  private readonly waitTimeoutMs: number;
  private readonly answerTtlMs: number;
  private readonly ready: Promise<unknown>;
  /** Requests of this turn of the event loop, written by one HSET. */
  private registering: { fields: string[]; written: Promise<void> } | undefined;
  /** Tags this coordinator's messages (`<instance> <answers JSON>`). */
  private readonly instance = randomUUID();
  /** Genesys batches this process sent, and the entries they answered (for logs and tests). */
  readonly stats = { batches: 0, entries: 0, timeouts: 0, cached: 0 };

  constructor(private readonly opts: BatchCoordinatorOptions) {
    const base = `${opts.prefix}:gbatch`;
    this.keys = { pending: `${base}:pending`, lock: `${base}:lock`, channel: `${base}:done` };
    this.waitTimeoutMs = opts.waitTimeoutMs ?? 60_000;
    this.answerTtlMs = opts.answerTtlMs ?? 0;
    opts.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.keys.channel) this.onMessage(message);
    });
    this.ready = opts.subscriber.subscribe(this.keys.channel);
  }

  private answerKey = (id: string) => `${this.opts.prefix}:gbatch:r:${id}`;
  private cacheKey = (key: string) => `${this.opts.prefix}:gbatch:c:${key}`;

  /** The answer to `req`, from a batch (this process's or another's). */
  async request(req: BatchRequest): Promise<unknown> {
    const answer = await this.answerOf(req);
    if (answer.ok) return answer.value;
    throw new GenesysError(answer.message, {
      code: answer.code ?? 'batch_error',
      ...(answer.status !== undefined && { status: answer.status }),
      retryable: answer.retryable,
    });
  }

  private async answerOf(req: BatchRequest): Promise<BatchAnswer> {
    if (this.closed) throw shuttingDown();
    await this.ready;
    const key = requestKey(req);
    const cached =
      req.kind === 'analytics' || this.answerTtlMs <= 0
        ? null
        : await this.opts.redis.get(this.cacheKey(key));
    if (cached !== null) {
      this.stats.cached += 1;
      return JSON.parse(cached) as BatchAnswer;
    }
    const id = randomUUID();
    const answered = new Promise<BatchAnswer>((resolve) => {
      this.waiters.set(id, { key, resolve });
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.register(id, JSON.stringify(req));
      this.schedule();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new BatchTimeout(`no batch answered within ${this.waitTimeoutMs} ms`));
        }, this.waitTimeoutMs);
      });
      return await Promise.race([answered, timeout]);
    } catch (err) {
      if (err instanceof BatchTimeout) {
        this.stats.timeouts += 1;
        await this.opts.redis.hdel(this.keys.pending, id).catch(() => undefined);
      }
      throw err;
    } finally {
      clearTimeout(timer);
      this.waiters.delete(id);
    }
  }

  /**
   * Adds a request to the pending hash. Requests made in the same turn of the event loop (a run's
   * campaign lookup and progress, many jobs waking together) share one HSET.
   */
  private register(id: string, json: string): Promise<void> {
    if (!this.registering) {
      const fields: string[] = [];
      const written = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        this.registering = undefined;
        // closed (or given up) in the meantime: close() already removed what it knew of
        const live: string[] = [];
        for (let i = 0; i < fields.length; i += 2)
          if (!this.closed && this.waiters.has(fields[i] as string))
            live.push(fields[i] as string, fields[i + 1] as string);
        if (live.length > 0) await this.opts.redis.hset(this.keys.pending, ...live);
      });
      this.registering = { fields, written };
    }
    this.registering.fields.push(id, json);
    return this.registering.written;
  }

  /** One try per window while this process has waiters: send (lock holder) or look for answers. */
  private schedule() {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.tick().finally(() => {
          if (this.waiters.size > 0) this.schedule();
        });
      },
      Math.max(10, this.opts.windowMs),
    );
  }

  private async tick(): Promise<void> {
    if (this.flushing || this.closed) return;
    this.flushing = true;
    try {
      const token = randomUUID();
      const lockMs = Math.max(30_000, this.waitTimeoutMs / 2);
      const got = await this.opts.redis.set(this.keys.lock, token, 'PX', lockMs, 'NX');
      if (got === 'OK') {
        try {
          await this.flush();
        } finally {
          // release only our own lock
          await this.opts.redis.eval(RELEASE, 1, this.keys.lock, token).catch(() => undefined);
        }
      }
      await this.collectMissed();
    } catch (err) {
      this.opts.logger.warn({ err }, 'analytics batch: send failed');
    } finally {
      this.flushing = false;
    }
  }

  /** Takes every pending request, sends them as one batch, answers every entry. */
  private async flush(): Promise<void> {
    const res = await this.opts.redis
      .multi()
      .hgetall(this.keys.pending)
      .del(this.keys.pending)
      .exec();
    const pending = (res?.[0]?.[1] ?? {}) as Record<string, string>;
    const ids = Object.keys(pending);
    if (ids.length === 0) return;
    const distinct = new Map<string, BatchRequest>();
    const keyOf = new Map<string, string>();
    for (const id of ids) {
      const req = JSON.parse(pending[id] as string) as BatchRequest;
      const key = requestKey(req);
      keyOf.set(id, key);
      distinct.set(key, req);
    }
    let answers: Map<string, BatchAnswer>;
    try {
      answers = await this.opts.send(distinct);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const failed: BatchAnswer = {
        ok: false,
        message,
        retryable: !(err instanceof GenesysError) || err.retryable,
        ...(err instanceof GenesysError && { code: err.code, status: err.status }),
      };
      answers = new Map([...distinct.keys()].map((k) => [k, failed]));
    }
    this.stats.batches += 1;
    this.stats.entries += ids.length;
    const byId: Record<string, BatchAnswer> = {};
    for (const id of ids) {
      byId[id] = answers.get(keyOf.get(id) as string) ?? {
        ok: false,
        message: 'the batch gave no answer for this request',
        retryable: true,
      };
    }
    // This process's own waiters are answered in process; only the others' answers travel
    // through Redis (an answer key each, for a waiter that misses the message, and one message).
    const foreign: Record<string, BatchAnswer> = {};
    let foreignCount = 0;
    for (const id of ids) {
      const waiter = this.waiters.get(id);
      if (waiter) waiter.resolve(byId[id] as BatchAnswer);
      else {
        foreign[id] = byId[id] as BatchAnswer;
        foreignCount += 1;
      }
    }
    const ttl = this.answerTtlMs;
    const pipe = this.opts.redis.pipeline();
    for (const [id, answer] of Object.entries(foreign))
      pipe.set(this.answerKey(id), JSON.stringify(answer), 'PX', 60_000);
    for (const [key, answer] of answers)
      if (ttl > 0 && answer.ok && distinct.get(key)?.kind !== 'analytics')
        pipe.set(this.cacheKey(key), JSON.stringify(answer), 'PX', ttl);
    // tagged with this coordinator's id: its own subscription skips it unread
    if (foreignCount > 0)
      pipe.publish(this.keys.channel, `${this.instance} ${JSON.stringify(foreign)}`);
    if (pipe.length > 0) await pipe.exec();
    this.opts.logger.debug(
      { entries: ids.length, distinct: distinct.size, foreign: foreignCount },
      'analytics batch answered',
    );
  }

  private onMessage(message: string) {
    // `<instance> <answers>`; a bare `{...}` is an older worker's (a rolling deploy)
    const space = message.startsWith('{') ? -1 : message.indexOf(' ');
    if (space >= 0 && message.slice(0, space) === this.instance) return;
    try {
      this.resolve(JSON.parse(message.slice(space + 1)) as Record<string, BatchAnswer>);
    } catch (err) {
      this.opts.logger.warn({ err }, 'analytics batch: unreadable answer message');
    }
  }

  private resolve(byId: Record<string, BatchAnswer>) {
    for (const [id, answer] of Object.entries(byId)) this.waiters.get(id)?.resolve(answer);
  }

  /** Answers a missed message would have carried (read from the answer keys). */
  private async collectMissed(): Promise<void> {
    const ids = [...this.waiters.keys()];
    if (ids.length === 0) return;
    const values = await this.opts.redis.mget(ids.map(this.answerKey));
    const found: Record<string, BatchAnswer> = {};
    values.forEach((v, i) => {
      if (v !== null) found[ids[i] as string] = JSON.parse(v) as BatchAnswer;
    });
    this.resolve(found);
  }

  /** Stops: waiters get the shutdown error (their jobs are handed back), the channel is left. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const err = shuttingDown();
    // this process's requests no longer need an answer: no other process sends them
    const ids = [...this.waiters.keys()];
    if (ids.length > 0)
      await this.opts.redis.hdel(this.keys.pending, ...ids).catch(() => undefined);
    for (const w of this.waiters.values())
      w.resolve({ ok: false, message: err.message, code: SHUTDOWN_CODE, retryable: true });
    this.waiters.clear();
    await this.opts.subscriber.unsubscribe(this.keys.channel).catch(() => undefined);
  }
}

const shuttingDown = () =>
  new GenesysError('analytics batch: not sent, shutting down', { code: SHUTDOWN_CODE });

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
