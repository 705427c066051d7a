import { NotificationHub } from '../notifications';
import type { ResolvedOptions, SimSettings } from '../options';
import { createRandom, type Random } from '../random';
import { RingLog } from './request-log';
import type { SimCampaign, SimConversation } from './types';

export interface IssuedToken {
  clientId: string;
  issuedAtMs: number;
  expiresAtMs: number;
}

/** One line of the request log (control API calls are not logged). */
export interface RequestLogEntry {
  method: string;
  path: string;
  /** First 12 hex chars of sha256(token); null when the request had no bearer token. */
  token: string | null;
  /** ISO UTC when the request arrived. */
  time: string;
  /** Answer status; 0 when the connection was dropped without an answer. */
  status: number;
  correlationId: string;
  durationMs: number;
  /** Set when an injected fault decided the answer. */
  fault?: 'error' | 'drop';
}

/** Errors of the control API and helpers; `status` is the HTTP status the control API answers. */
export class SimError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'SimError';
  }
}

/** The simulator's whole in-memory model. */
export class SimState {
  readonly campaigns = new Map<string, SimCampaign>();
  /**
   * Conversations by campaign id (the analytics index), each list ordered by dial start;
   * campaigns in creation order. Add conversations with `addConversations` to keep the order.
   */
  readonly conversations = new Map<string, SimConversation[]>();
  /** Longest conversation (end - dial start) per campaign, so a lookup by dial start finds every metric time. */
  readonly longestMs = new Map<string, number>();
  /** Decides which optional fields an answer or a published copy leaves out. */
  readonly omitRng: Random;
  readonly tokens = new Map<string, IssuedToken>();
  /** /api and /oauth requests, the newest `requestLogLimit` kept. */
  readonly requests: RingLog<RequestLogEntry>;
  /** Conversations examined by aggregates queries so far (for tests and benchmarks). */
  scannedConversations = 0;
  settings: SimSettings;
  /** Notification channels, subscriptions and WebSockets (published copies go out through it). */
  readonly notifications: NotificationHub = new NotificationHub(this);
  readonly seed: number;
  readonly now: () => number;
  readonly clientId: string;
  readonly clientSecret: string;

  constructor(opts: ResolvedOptions) {
    this.settings = {
      tokenTtlSeconds: opts.tokenTtlSeconds,
      rateLimitPerMinute: opts.rateLimitPerMinute,
      tokenRateLimitPerMinute: opts.tokenRateLimitPerMinute,
      retryAfterHeader: opts.retryAfterHeader,
      retryAfterSeconds: opts.retryAfterSeconds,
      analyticsLagMs: opts.analyticsLagMs,
      analyticsLagJitterMs: opts.analyticsLagJitterMs,
      omitOptionalFields: opts.omitOptionalFields,
      omitVersion: opts.omitVersion,
      refuseUnknownIds: opts.refuseUnknownIds,
      maxIntervalDays: opts.maxIntervalDays,
      notificationHeartbeatMs: opts.notificationHeartbeatMs,
      notificationChannelTtlMs: opts.notificationChannelTtlMs,
      notificationTopicLimit: opts.notificationTopicLimit,
      notificationChannelLimit: opts.notificationChannelLimit,
      socketClosingGraceMs: opts.socketClosingGraceMs,
      complianceAbandonRateDenominator: opts.complianceAbandonRateDenominator,
      abandonSeconds: opts.abandonSeconds,
      outboundSettingsVersion: opts.outboundSettingsVersion,
      faults: { ...opts.faults },
    };
    this.seed = opts.seed;
    this.now = opts.now;
    this.clientId = opts.clientId;
    this.clientSecret = opts.clientSecret;
    this.requests = new RingLog(opts.requestLogLimit);
    this.omitRng = createRandom(opts.seed ^ 0x0b7e);
  }

  /** True with the `omitOptionalFields` probability: leave this optional field out. */
  omitOptional(): boolean {
    return this.omitRng.next() < this.settings.omitOptionalFields;
  }

  logRequest(entry: RequestLogEntry): void {
    this.requests.push(entry);
  }

  /** Stores a campaign's new conversations, keeping its list ordered by dial start. */
  addConversations(campaignId: string, added: readonly SimConversation[]): void {
    const list = this.conversations.get(campaignId) ?? [];
    let longest = this.longestMs.get(campaignId) ?? 0;
    for (const c of added) {
      list.push(c);
      longest = Math.max(longest, c.endMs - c.startMs);
    }
    list.sort((a, b) => a.startMs - b.startMs);
    this.conversations.set(campaignId, list);
    this.longestMs.set(campaignId, longest);
  }

  getCampaign(id: string): SimCampaign {
    const campaign = this.campaigns.get(id);
    if (!campaign) throw new SimError(404, `campaign ${id} not found`);
    return campaign;
  }

  /** Every stored conversation. */
  *allConversations(): Generator<SimConversation> {
    for (const list of this.conversations.values()) yield* list;
  }
}
