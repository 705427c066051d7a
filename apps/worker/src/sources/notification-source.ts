/**
 * The built-in Genesys Cloud Notification API source (GENESYS_EVENT_SOURCE=websocket): one worker
 * process at a time (the holder of the lease, see lease.ts) subscribes every outbound campaign's
 * topic on notification channels and hands each campaign message to `acceptEvent`, in-process,
 * fenced by the lease.
 *
 * What this relies on about the platform, and how sure we are (docs/platform-facts.md, and the
 * simulator's packages/genesys-sim/src/notifications.ts, list the same facts with their sources):
 *
 * Verified (SDK or Genesys's own pages)
 * - `POST /api/v2/notifications/channels` answers a `Channel` `{id, connectUri, expires}`;
 *   `POST /api/v2/notifications/channels/{id}/subscriptions` adds `[{id: topic}]` to the channel's
 *   list (PUT replaces it). (platform-client SDK `NotificationsApi`, models `Channel`,
 *   `ChannelTopic`: e.g. MyPureCloud/platform-client-sdk-javascript build/docs/NotificationsApi.md,
 *   platform-client-sdk-go platformclientv2/channel.go.)
 * - The topic `v2.outbound.campaigns.{id}` carries the whole campaign; `.progress` carries progress
 *   only. (SDK notification mappings, see docs/platform-facts.md.)
 * - Channels remain active for 24 hours; to keep one longer, resubscribe to topics. Each channel
 *   takes at most 1,000 topics (400 past it). Up to 20 channels per user and app; the 21st
 *   replaces the oldest one without a connection. One WebSocket per channel: a second connection
 *   drops the first. (Developer Center "Notification service" usage limitations, as quoted on the
 *   developer forum thread developer.genesys.cloud/forum/t/10312.)
 * - Before closing a socket for maintenance the service sends `v2.system.socket_closing`, about one
 *   minute before; `v2.system.*` topics need no subscription; it is safe to reconnect at once; the
 *   notice is not guaranteed for every close. (Genesys announcement, developer forum t/7423.)
 * - Sockets are not durable: what is published while no socket is connected is lost. (Genesys
 *   developer blog, quoted in the simulator.) So after every gap it knows of (lease taken, socket
 *   reconnected, channel replaced) the listener lists the campaigns once (its catch-up); a gap it
 *   cannot see is the reconciliation sweep's to find.
 *
 * From community answers only
 * - The heartbeat `{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}`
 *   every 30 s (Genesys community thread "Regarding the behavior of WebSocket heartbeats"; the
 *   message shape in GenesysCloudBlueprints samples and the `genesys-notifications` PyPI library).
 *   Any message resets the watchdog, so only "something arrives within
 *   NOTIFICATION_HEARTBEAT_TIMEOUT_MS" is relied on.
 *
 * Assumed (no primary source found)
 * - `connectUri` needs no token (SDK handlers and samples connect to it as given).
 * - POSTing topics the channel already has is harmless (no duplicates, no error), and it renews
 *   the channel like any subscription; a renewed channel lives as long again as a new one (the
 *   renewed `expires` is not read back: the client answers only the topic list).
 * - A channel that is gone (expired, replaced past the channel limit) answers 404 to subscribing.
 * - The `socket_closing` notice concerns the socket it arrives on.
 */
import { WebSocket, type RawData } from 'ws';
import type { Redis } from 'ioredis';
import { acceptEvent, type AcceptDeps, type AcceptOutcome } from '@wrapup/runs';
import { DEFAULT_EVENT_HORIZON } from '@wrapup/runs';
import { HEARTBEAT_TOPIC, mapCampaignStatus } from '@wrapup/shared';
import {
  GenesysNotFound,
  isGenesysError,
  type Campaign,
  type Channel,
  type GenesysClient,
} from '../clients/genesys/client';
import type { Logger } from '../logger';
import { campaignFeedChannel, readCampaignFeed } from './feed';
import { LeaseKeeper } from './lease';

export const SOCKET_CLOSING_TOPIC = 'v2.system.socket_closing';
/** The campaign topic itself (not `.progress` or any other sub-topic). */
const CAMPAIGN_TOPIC = /^v2\.outbound\.campaigns\.[^.]+$/i;
export const campaignTopic = (campaignId: string) => `v2.outbound.campaigns.${campaignId}`;
/**
 * When the listener first caught up under this prefix (ISO): a campaign it has never seen is
 * reported by a catch-up only when it finished after this (older finishes are history).
 */
export const listenerBaselineKey = (prefix: string) => `${prefix}:events:baseline`;
const DAY_MS = 86_400_000;

/**
 * How a notification's final outcome is logged: the level, the fields (from the outcome, or the
 * topic's name) and the message. `unavailable` is not final: it is retried.
 */
const OUTCOME_LOG: Record<
  Exclude<AcceptOutcome['kind'], 'unavailable'>,
  { level: 'debug' | 'info' | 'warn'; fields: readonly string[]; msg: string }
> = {
  fenced: {
    level: 'warn',
    fields: ['topicName'],
    msg: 'write fenced: the lease is no longer ours',
  },
  accepted: {
    level: 'info',
    fields: ['campaignId', 'eventId', 'jobId'],
    msg: 'finish accepted from the Notification API',
  },
  duplicate: {
    level: 'debug',
    fields: ['campaignId', 'jobId', 'reason'],
    msg: 'notification was a duplicate',
  },
  ignored: { level: 'debug', fields: ['campaignId', 'reason'], msg: 'notification ignored' },
  invalid: { level: 'warn', fields: ['topicName', 'issues'], msg: 'invalid notification refused' },
};
/** Verified: a channel remains active for 24 hours (used when `expires` cannot be read). */
const DEFAULT_CHANNEL_LIFE_MS = 24 * 60 * 60 * 1000;

export interface NotificationSourceOptions {
  /** The worker's connection: the lease lives on it; the feed gets a duplicate of it. */
  redis: Redis;
  /** QUEUE_PREFIX (the lease and the campaign feed are under it). */
  prefix: string;
  genesys: Pick<GenesysClient, 'listCampaigns' | 'createChannel' | 'addSubscriptions'>;
  /** What acceptEvent needs: the run store, the analytics queue, the event settings. */
  accept: AcceptDeps;
  /** EVENT_SOURCE_LEASE_MS. */
  leaseMs: number;
  /** NOTIFICATION_TOPICS_PER_CHANNEL (at most 1000). */
  topicsPerChannel: number;
  /** NOTIFICATION_HEARTBEAT_TIMEOUT_MS: a socket with no message for this long is reconnected. */
  heartbeatTimeoutMs: number;
  logger: Logger;
  /** Reconnect and retry delays: the first one and the cap (default 500 ms and 30 s), jittered. */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * When no reconciliation sweep runs (RECONCILE_EVERY_MINUTES=0), the leader lists the campaigns
   * itself this often (a catch-up: new campaigns subscribed, a finish lost in a gap reported);
   * 0: never (the sweep's campaign feed does it).
   */
  resyncEveryMs?: number;
}

export interface NotificationSourceCounts {
  /** Campaign messages handed to acceptEvent (each counted once, however often retried). */
  received: number;
  accepted: number;
  duplicate: number;
  ignored: number;
  invalid: number;
  /** Writes refused in Redis because the lease was no longer ours. */
  fenced: number;
  /** Redis answered `unavailable` and the message was tried again. */
  retried: number;
  /** Left to the new leader and the sweep: the lease was lost before the message was written. */
  dropped: number;
  /** acceptEvent threw (a bug, not Redis): logged and dropped. */
  failed: number;
  /** Sockets opened (reconnections included). */
  connects: number;
  /** Channels created (replacements included). */
  channelsCreated: number;
  /** Catch-ups done (a listing read after the sockets opened: lease taken, socket recovered). */
  catchUps: number;
}

export interface NotificationSourceStatus {
  /** This process holds the lease and is listening. */
  leader: boolean;
  token?: string;
  /** Channels in use. */
  channels: number;
  /** Topics subscribed over all of them. */
  topics: number;
  /** Channels whose socket is open. */
  connected: number;
  counts: NotificationSourceCounts;
}

export interface NotificationSource {
  status(): NotificationSourceStatus;
  /** Stops listening, closes every socket, releases the lease (another process takes over). */
  stop(): Promise<void>;
}

interface Context extends NotificationSourceOptions {
  keeper: LeaseKeeper;
  counts: NotificationSourceCounts;
  backoff: { initialMs: number; maxMs: number };
}

/** Capped exponential backoff with jitter: attempt 0 waits about `initialMs`. */
export function backoffDelay(attempt: number, b: { initialMs: number; maxMs: number }): number {
  const capped = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(capped * (0.5 + Math.random() * 0.5));
}

/**
 * Starts the source: every worker process runs one; a small loop tries to take the lease, and the
 * holder listens (see Session). Losing the lease closes every socket at once.
 */
export function startNotificationSource(opts: NotificationSourceOptions): NotificationSource {
  if (!(opts.topicsPerChannel >= 1))
    throw new Error('startNotificationSource: topicsPerChannel must be at least 1');
  const logger = opts.logger;
  const counts: NotificationSourceCounts = {
    received: 0,
    accepted: 0,
    duplicate: 0,
    ignored: 0,
    invalid: 0,
    fenced: 0,
    retried: 0,
    dropped: 0,
    failed: 0,
    connects: 0,
    channelsCreated: 0,
    catchUps: 0,
  };
  let session: Session | undefined;
  const keeper = new LeaseKeeper({
    redis: opts.redis,
    prefix: opts.prefix,
    leaseMs: opts.leaseMs,
    logger,
    onAcquired: (fence) => {
      session?.stop();
      session = new Session(ctx, fence.token);
      session.start();
    },
    onLost: (reason) => {
      const s = session;
      session = undefined;
      if (s) {
        const status = s.status();
        logger[reason === 'stopping' ? 'info' : 'warn'](
          { reason, channels: status.channels, topics: status.topics },
          'notification listener stopped; every socket closed',
        );
        s.stop();
      }
    },
  });
  const ctx: Context = {
    ...opts,
    keeper,
    counts,
    backoff: opts.backoff ?? { initialMs: 500, maxMs: 30_000 },
  };

  // The campaign feed: the sweep publishes campaign ids; the leader subscribes the new ones.
  const feed = opts.redis.duplicate();
  feed.on('error', (err) => logger.warn({ err }, 'campaign feed connection error'));
  const feedChannel = campaignFeedChannel(opts.prefix);
  feed.on('message', (channel: string, message: string) => {
    if (channel !== feedChannel) return;
    const ids = readCampaignFeed(message);
    if (ids.length > 0) session?.addCampaigns(ids);
  });
  const subscribed = feed.subscribe(feedChannel).then(
    () => undefined,
    (err: unknown) => logger.error({ err }, 'could not subscribe to the campaign feed'),
  );
  let stopping: Promise<void> | undefined;
  // the feed first, so that no campaign published after the leader's listing is missed
  void subscribed.then(() => {
    if (!stopping) keeper.start();
  });

  return {
    status() {
      const lease = keeper.status();
      const s = session?.status();
      return {
        leader: session !== undefined && lease.held,
        ...(lease.token !== undefined ? { token: lease.token } : {}),
        channels: s?.channels ?? 0,
        topics: s?.topics ?? 0,
        connected: s?.connected ?? 0,
        counts: { ...counts },
      };
    },
    stop() {
      // Nothing here waits on Redis for long: with Redis away, the close must still end.
      stopping ??= (async () => {
        await keeper.stop();
        session?.stop();
        session = undefined;
        const quit = feed.quit().then(
          () => true,
          () => false,
        );
        let timer: NodeJS.Timeout | undefined;
        const quitIn = new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), 1_000);
        });
        const quitted = await Promise.race([quit, quitIn]);
        clearTimeout(timer);
        if (!quitted) feed.disconnect();
      })();
      return stopping;
    },
  };
}

/** One leadership: the channels, their sockets and the forwarding, from lease taken to lease lost. */
class Session {
  private readonly links = new Set<ChannelLink>();
  /** Campaign ids subscribed (or being subscribed) on some channel. */
  private readonly campaigns = new Set<string>();
  /** Channel work (create, subscribe, reconnect, roll over), one step at a time. */
  private ops: Promise<void> = Promise.resolve();
  /** Messages are accepted one at a time, in arrival order (a campaign's `on` before its finish). */
  private forwarding: Promise<void> = Promise.resolve();
  private stopped = false;
  private resyncTimer: NodeJS.Timeout | undefined;
  private catchUpQueued = false;
  private readonly wake = new Set<() => void>();
  readonly log: Logger;

  constructor(
    readonly ctx: Context,
    readonly token: string,
  ) {
    this.log = ctx.logger.child({ component: 'notifications', token });
  }

  get active(): boolean {
    return !this.stopped && this.ctx.keeper.isValid(this.token);
  }

  start(): void {
    this.enqueue('initial subscription', async () => {
      const campaigns = await this.retry('list campaigns', () => this.ctx.genesys.listCampaigns());
      if (!campaigns) return;
      await this.subscribe(campaigns.map((c) => c.id));
      this.log.info(
        { campaigns: campaigns.length, channels: this.links.size },
        'notification listener started',
      );
    });
    this.catchUp('lease taken');
    const every = this.ctx.resyncEveryMs ?? 0;
    if (every > 0) {
      this.resyncTimer = setInterval(() => this.catchUp('periodic resync'), every);
      this.resyncTimer.unref();
    }
  }

  /**
   * Sockets are not durable: what the platform published while no socket of ours was open (the
   * hand-over from a dead leader, a reconnection) is lost. So once the sockets are open, the
   * campaigns are listed again and each is handed to the intake as the copy the platform would
   * have sent, dated by its `dateModified` (as the reconciliation sweep does, with the same event
   * id): the intake's transition rules decide, so a finish already seen is a duplicate or no
   * transition, and a finish that happened in the gap gets its run. A campaign never seen before
   * is only recorded, unless it finished after the listener's baseline (its first catch-up).
   */
  catchUp(reason: string): void {
    if (this.catchUpQueued || this.stopped) return;
    this.catchUpQueued = true;
    this.enqueue('catch up', async () => {
      const openWithin = Math.min(10_000, Math.max(1_000, this.ctx.heartbeatTimeoutMs));
      await Promise.all([...this.links].map((l) => l.opened(openWithin)));
      this.catchUpQueued = false;
      const startedAt = new Date().toISOString();
      const campaigns = await this.retry('list campaigns', () => this.ctx.genesys.listCampaigns());
      if (!campaigns || this.stopped) return;
      let baseline: string | null;
      try {
        baseline = await this.ctx.redis.get(listenerBaselineKey(this.ctx.prefix));
      } catch (err) {
        this.log.warn({ err }, 'catch-up skipped: the baseline could not be read');
        return;
      }
      this.ctx.counts.catchUps += 1;
      // campaigns created since the first listing are subscribed too
      this.addCampaigns(campaigns.map((c) => c.id));
      for (const c of campaigns)
        this.forwarding = this.forwarding.then(() => this.catchUpOne(c, baseline));
      this.forwarding = this.forwarding.then(async () => {
        if (baseline === null && this.active)
          await this.ctx.redis
            .set(listenerBaselineKey(this.ctx.prefix), startedAt, 'NX')
            .catch((err: unknown) => this.log.warn({ err }, 'could not store the baseline'));
        this.log.info({ reason, campaigns: campaigns.length }, 'notification listener caught up');
      });
    });
  }

  private async catchUpOne(c: Campaign, baseline: string | null): Promise<void> {
    const raw = c.campaignStatus?.trim();
    if (!raw || !this.active) return;
    const horizon = this.ctx.accept.events ?? DEFAULT_EVENT_HORIZON;
    const nowMs = Date.now();
    const modifiedMs = c.dateModified ? Date.parse(c.dateModified) : Number.NaN;
    if (modifiedMs > nowMs + horizon.maxFutureSeconds * 1000) return;
    const at = new Date(Number.isFinite(modifiedMs) ? modifiedMs : nowMs).toISOString();
    const status = mapCampaignStatus(raw);
    const terminal = status === 'completed' || status === 'stopped';
    const tooOld = modifiedMs < nowMs - horizon.maxAgeDays * DAY_MS;
    const topicName = campaignTopic(c.id);
    let known: boolean;
    try {
      known = (await this.ctx.accept.runs.campaignState(c.id)).status !== undefined;
    } catch (err) {
      this.log.warn({ err, campaignId: c.id }, 'catch-up: campaign state unreadable; skipped');
      return;
    }
    const fresh = baseline !== null && at > baseline;
    if ((!known && !(terminal && fresh)) || (terminal && tooOld)) {
      // history: remembered (so its next change is judged a transition), never reported
      const fence = this.ctx.keeper.fence();
      if (!fence || fence.token !== this.token) return;
      try {
        const seen = await this.ctx.accept.runs.recordStatus(c.id, status, at, {
          version: c.version,
          transitionsOnly: true,
          fence,
        });
        if (seen === 'fenced') {
          this.ctx.counts.fenced += 1;
          this.ctx.keeper.markLost('a write was fenced', this.token);
        }
      } catch (err) {
        this.log.warn({ err, campaignId: c.id }, 'catch-up: campaign state not recorded');
      }
      return;
    }
    await this.deliver(
      {
        topicName,
        version: '2',
        eventBody: c,
        // the sweep's correlation id: the same copy from either gets the same event id
        metadata: { CorrelationId: `reconcile-${c.dateModified ?? 'undated'}` },
      },
      new Date().toISOString(),
      topicName,
      true,
    );
  }

  /** New campaigns from the feed: those not subscribed yet are added to a channel with room. */
  addCampaigns(ids: string[]): void {
    const fresh = ids.filter((id) => !this.campaigns.has(id));
    if (fresh.length === 0) return;
    this.enqueue('subscribe new campaigns', () => this.subscribe(fresh));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.resyncTimer = undefined;
    for (const link of this.links) link.close();
    this.links.clear();
    for (const wake of this.wake) wake();
    this.wake.clear();
  }

  status() {
    let topics = 0;
    let connected = 0;
    for (const link of this.links) {
      topics += link.topics.size;
      if (link.isOpen()) connected += 1;
    }
    return { channels: this.links.size, topics, connected };
  }

  enqueue(what: string, step: () => Promise<void>): void {
    this.ops = this.ops.then(async () => {
      if (this.stopped) return;
      try {
        await step();
      } catch (err) {
        this.log.error({ err, step: what }, 'notification channel step failed');
      }
    });
  }

  /** Sleeps `ms`, or less when the session stops. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.add(done);
    });
  }

  /**
   * Runs a Genesys call until it succeeds, with backoff; undefined once the session stopped.
   * A 404 is rethrown (the caller knows what is gone); with `refusalsFinal`, so is any other
   * error that is not retryable; other errors are retried (a refusal that will not pass, e.g. a
   * 403 creating a channel, is logged as an error each time, at the capped pace).
   */
  async retry<T>(
    what: string,
    call: () => Promise<T>,
    opts: { refusalsFinal?: boolean } = {},
  ): Promise<T | undefined> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (err instanceof GenesysNotFound) throw err;
        // a refusal that no retry changes (e.g. a 400 past the topic limit): the caller decides
        if (opts.refusalsFinal && isGenesysError(err) && !err.retryable) throw err;
        if (this.stopped) return undefined;
        const delayMs = backoffDelay(attempt, this.ctx.backoff);
        const level = isGenesysError(err) && !err.retryable ? 'error' : 'warn';
        this.log[level]({ err, attempt: attempt + 1, delayMs }, `${what} failed; retrying`);
        await this.sleep(delayMs);
      }
    }
    return undefined;
  }

  /** Subscribes the campaigns not subscribed yet, filling channels up to topicsPerChannel. */
  private async subscribe(ids: string[]): Promise<void> {
    const fresh = [...new Set(ids)].filter((id) => !this.campaigns.has(id));
    const perChannel = this.ctx.topicsPerChannel;
    while (fresh.length > 0 && !this.stopped) {
      let link = [...this.links].find((l) => !l.retiring && l.topics.size < perChannel);
      if (!link) {
        link = await this.newLink(new Set());
        if (!link) return;
      }
      const chunk = fresh.splice(0, perChannel - link.topics.size);
      for (const id of chunk) this.campaigns.add(id);
      let ok = false;
      try {
        ok = await link.subscribe(chunk.map(campaignTopic));
      } catch (err) {
        // refused for good (not retryable): left out; the next listing or feed message retries
        this.log.error({ err, campaigns: chunk.length }, 'notification topics refused');
      }
      if (!ok) for (const id of chunk) this.campaigns.delete(id);
      if (!link.isOpen() && !link.connecting()) link.connect();
    }
  }

  /** A new channel subscribed to `topics` (not connected yet); undefined once stopped. */
  async newLink(topics: Set<string>): Promise<ChannelLink | undefined> {
    const link = new ChannelLink(this, topics);
    if (!(await link.create())) return undefined;
    this.links.add(link);
    if (this.links.size > 20)
      this.log.warn(
        { channels: this.links.size },
        'more than 20 notification channels: the platform replaces the oldest unconnected one',
      );
    return link;
  }

  /** The socket_closing notice: a new channel with the same topics, connected, then the old closes. */
  rollover(old: ChannelLink): void {
    if (old.retiring) return;
    old.retiring = true;
    this.log.info({ channelId: old.channel?.id }, 'socket closing notice: moving to a new channel');
    this.enqueue('roll over a closing socket', async () => {
      const next = await this.newLink(new Set(old.topics));
      if (!next) return;
      next.connect();
      // both sockets deliver until the new one is open (repeats are duplicates to the intake)
      await next.opened(Math.min(10_000, Math.max(1_000, this.ctx.heartbeatTimeoutMs)));
      // a gap unless the old socket delivered until the new one was open
      const gap = !next.isOpen() || !old.isOpen();
      old.close();
      this.links.delete(old);
      this.log.info(
        { from: old.channel?.id, to: next.channel?.id, topics: next.topics.size },
        'moved to a new notification channel',
      );
      // the old socket closed before the new one opened (a slow or throttled channel creation):
      // what was published in between is only found by a listing
      if (gap) this.catchUp('moved to a new channel with a gap');
    });
  }

  /** A socket closed that we did not close: reconnect after a backoff (see ChannelLink.recover). */
  reconnectLater(link: ChannelLink): void {
    if (this.stopped || link.retiring || link.reconnectPending) return;
    link.reconnectPending = true;
    const delayMs = backoffDelay(link.failures, this.ctx.backoff);
    link.failures += 1;
    this.log.info(
      { channelId: link.channel?.id, delayMs },
      'notification socket closed; reconnecting',
    );
    void this.sleep(delayMs).then(() =>
      this.enqueue('reconnect', async () => {
        link.reconnectPending = false;
        if (!this.links.has(link) || link.retiring) return;
        await link.recover();
        // what was published while the socket was down is lost: read it from a listing
        this.catchUp('socket reconnected');
      }),
    );
  }

  /** A campaign message: accepted in arrival order, fenced by the lease. */
  forward(message: unknown, receivedAt: string, topicName: string): void {
    this.ctx.counts.received += 1;
    this.forwarding = this.forwarding.then(() => this.deliver(message, receivedAt, topicName));
  }

  /**
   * Hands the message to acceptEvent with the lease's fence. A Redis failure is retried with
   * backoff while the lease is valid; once it is not, the message is left to the new leader (or
   * the sweep): never dropped while this process may still write it. `datedByCopy`: a campaign
   * from a listing, dated by its `dateModified` (see acceptEvent).
   */
  private async deliver(
    message: unknown,
    receivedAt: string,
    topicName: string,
    datedByCopy = false,
  ): Promise<void> {
    const { counts } = this.ctx;
    for (let attempt = 0; ; attempt++) {
      const fence = this.ctx.keeper.fence();
      if (this.stopped || !fence || fence.token !== this.token) {
        counts.dropped += 1;
        this.log.warn(
          { topicName },
          'lease lost before the message was written; left to the sweep',
        );
        return;
      }
      let outcome: AcceptOutcome;
      try {
        outcome = await acceptEvent(this.ctx.accept, message, { receivedAt, fence, datedByCopy });
      } catch (err) {
        counts.failed += 1;
        this.log.error({ err, topicName }, 'a notification could not be accepted');
        return;
      }
      if (outcome.kind === 'unavailable') {
        counts.retried += 1;
        const delayMs = backoffDelay(attempt, this.ctx.backoff);
        this.log.warn(
          { err: outcome.error, campaignId: outcome.campaignId, attempt: attempt + 1, delayMs },
          'redis unavailable; the notification will be retried',
        );
        await this.sleep(delayMs);
        continue;
      }
      counts[outcome.kind] += 1;
      const { level, fields, msg } = OUTCOME_LOG[outcome.kind];
      const about: Record<string, unknown> = { topicName, ...outcome };
      this.log[level](Object.fromEntries(fields.map((f) => [f, about[f]])), msg);
      if (outcome.kind === 'fenced') this.ctx.keeper.markLost('a write was fenced', this.token);
      return;
    }
  }
}

/** One notification channel and its socket. */
class ChannelLink {
  channel: Channel | undefined;
  private expiresAt = 0;
  private lifeMs = DEFAULT_CHANNEL_LIFE_MS;
  private ws: WebSocket | undefined;
  private lastMessageAt = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private openWaiters = new Set<() => void>();
  /** Closed by us (lease lost, rolled over): no reconnect. */
  private closed = false;
  /** A socket_closing notice came: a new channel takes over, this one is not reconnected. */
  retiring = false;
  reconnectPending = false;
  /** Reconnects since the last socket that delivered a message (the backoff's exponent). */
  failures = 0;

  constructor(
    private readonly session: Session,
    readonly topics: Set<string>,
  ) {}

  private get log() {
    return this.session.log;
  }

  isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  connecting(): boolean {
    return this.ws?.readyState === WebSocket.CONNECTING;
  }

  /** Creates the channel and subscribes its topics; false once the session stopped. */
  async create(): Promise<boolean> {
    for (;;) {
      const channel = await this.session.retry('create a notification channel', () =>
        this.session.ctx.genesys.createChannel(),
      );
      if (!channel || this.closed) return false;
      this.session.ctx.counts.channelsCreated += 1;
      this.setChannel(channel);
      this.log.info(
        { channelId: channel.id, expires: channel.expires },
        'notification channel created',
      );
      if (this.topics.size === 0) return true;
      try {
        return await this.subscribeAll();
      } catch (err) {
        // gone again before its first subscription (the channel limit): make another
        if (err instanceof GenesysNotFound) continue;
        // refused for good: the channel stands (connected, so its socket is watched); the next
        // renewal or reconnection subscribes its topics again
        this.log.error({ err, channelId: channel.id }, 'notification topics refused');
        return true;
      }
    }
  }

  /** Adds topics to the channel; a channel gone (404) is replaced by a new one with every topic. */
  async subscribe(topics: string[]): Promise<boolean> {
    const added = topics.filter((t) => !this.topics.has(t));
    for (const t of added) this.topics.add(t);
    try {
      // new topics alone; with none, every topic again (a renewal, a check that it still exists)
      return await this.subscribeAll(topics.length > 0 ? topics : undefined);
    } catch (err) {
      if (!(err instanceof GenesysNotFound)) {
        for (const t of added) this.topics.delete(t);
        throw err;
      }
      this.log.info({ channelId: this.channel?.id }, 'notification channel gone; creating another');
      this.dropSocket();
      return this.create();
    }
  }

  /** POSTs `topics` (default all) to the channel; renews its life. Throws GenesysNotFound. */
  private async subscribeAll(topics: string[] = [...this.topics]): Promise<boolean> {
    const channel = this.channel;
    if (!channel) return false;
    const started = Date.now();
    const listed = await this.session.retry(
      'subscribe notification topics',
      () => this.session.ctx.genesys.addSubscriptions(channel.id, topics),
      { refusalsFinal: true },
    );
    if (!listed) return false;
    // assumed: a subscription renews the channel for a whole life again
    this.expiresAt = started + this.lifeMs;
    this.scheduleRenewal();
    return true;
  }

  private setChannel(channel: Channel): void {
    const now = Date.now();
    const expires = channel.expires ? Date.parse(channel.expires) : Number.NaN;
    this.lifeMs =
      Number.isFinite(expires) && expires > now ? expires - now : DEFAULT_CHANNEL_LIFE_MS;
    this.expiresAt = now + this.lifeMs;
    this.channel = channel;
    this.scheduleRenewal();
  }

  /** Resubscribes (verified: that keeps a channel past its 24 hours) at 80% of its life. */
  private scheduleRenewal(): void {
    if (this.renewTimer) clearTimeout(this.renewTimer);
    const inMs = Math.max(1_000, (this.expiresAt - Date.now()) * 0.8);
    this.renewTimer = setTimeout(
      () => {
        this.session.enqueue('renew a channel', async () => {
          if (this.closed || this.retiring) return;
          const ok = await this.resubscribe();
          if (ok && !this.isOpen() && !this.connecting()) this.connect();
        });
      },
      Math.min(inMs, 2 ** 31 - 1),
    );
    this.renewTimer.unref();
  }

  /**
   * After an unexpected close: a channel past its `expires` is replaced; otherwise its topics are
   * subscribed again (a 404 means it is gone: replaced too), then the socket reconnects.
   */
  async recover(): Promise<void> {
    if (this.closed) return;
    if (Date.now() >= this.expiresAt) {
      this.log.info(
        { channelId: this.channel?.id },
        'notification channel expired; creating another',
      );
      if (!(await this.create())) return;
    } else if (!(await this.resubscribe())) {
      return;
    }
    this.connect();
  }

  /** Every topic again (renews the channel; a 404 replaces it). A refusal is logged, not fatal. */
  private async resubscribe(): Promise<boolean> {
    try {
      return await this.subscribe([]);
    } catch (err) {
      this.log.error({ err, channelId: this.channel?.id }, 'notification topics refused');
      return !this.closed;
    }
  }

  connect(): void {
    const channel = this.channel;
    if (!channel || this.closed || !this.session.active) return;
    this.dropSocket();
    const ws = new WebSocket(channel.connectUri);
    this.ws = ws;
    this.lastMessageAt = Date.now();
    this.startWatchdog();
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.session.ctx.counts.connects += 1;
      this.lastMessageAt = Date.now();
      this.log.info(
        { channelId: channel.id, topics: this.topics.size },
        'notification socket open',
      );
      for (const w of this.openWaiters) w();
      this.openWaiters.clear();
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.ws !== ws) return;
      this.lastMessageAt = Date.now();
      this.failures = 0;
      if (!isBinary) this.onMessage(rawText(data));
    });
    ws.on('error', (err) => {
      if (this.ws === ws)
        this.log.warn({ err, channelId: channel.id }, 'notification socket error');
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.stopWatchdog();
      if (this.closed || this.retiring) return;
      this.log.info(
        { channelId: channel.id, code, reason: reason.toString('utf8') },
        'notification socket closed',
      );
      this.session.reconnectLater(this);
    });
  }

  /** Resolves once a socket of this channel is open, or after `timeoutMs`. */
  opened(timeoutMs: number): Promise<void> {
    if (this.isOpen()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.openWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.openWaiters.add(done);
    });
  }

  private onMessage(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.log.warn({ channelId: this.channel?.id }, 'notification message is not JSON; ignored');
      return;
    }
    const topicName =
      typeof msg === 'object' && msg !== null
        ? (msg as { topicName?: unknown }).topicName
        : undefined;
    if (typeof topicName !== 'string') return;
    if (topicName === HEARTBEAT_TOPIC) return; // heartbeat, pong
    if (topicName.toLowerCase() === SOCKET_CLOSING_TOPIC) {
      this.session.rollover(this);
      return;
    }
    // `.progress` and any other topic start nothing
    if (!CAMPAIGN_TOPIC.test(topicName)) return;
    this.session.forward(msg, new Date().toISOString(), topicName);
  }

  private startWatchdog(): void {
    this.stopWatchdog();
    const timeoutMs = this.session.ctx.heartbeatTimeoutMs;
    this.watchdog = setInterval(
      () => {
        const ws = this.ws;
        if (!ws || Date.now() - this.lastMessageAt <= timeoutMs) return;
        this.log.warn(
          { channelId: this.channel?.id, timeoutMs },
          'no notification message (not even a heartbeat) in time; reconnecting',
        );
        ws.terminate();
      },
      Math.max(25, Math.min(5_000, Math.round(timeoutMs / 4))),
    );
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  /** Drops the current socket without reconnecting (a new one follows). */
  private dropSocket(): void {
    const ws = this.ws;
    this.ws = undefined;
    this.stopWatchdog();
    ws?.terminate();
  }

  /** Closes for good: lease lost, stopping, or rolled over to a new channel. */
  close(): void {
    this.closed = true;
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.renewTimer = undefined;
    this.dropSocket();
    for (const w of this.openWaiters) w();
    this.openWaiters.clear();
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
