/** Injected failures for /api/v2 (and, with `includeToken`, /oauth/token). */
export interface FaultOptions {
  /** Share of requests (0..1) answered with a Genesys error (503 unless `errorStatus`). */
  errorRate?: number;
  /** Status used for injected errors: 500, 502, 503 (default) or 504. */
  errorStatus?: 500 | 502 | 503 | 504;
  /** Extra delay before every answer, in ms. */
  latencyMs?: number;
  /** Share of requests (0..1) whose socket is destroyed without an answer. */
  dropRate?: number;
  /** The next N requests get an injected error, whatever `errorRate` says. */
  failNext?: number;
  /** The next N requests are dropped, whatever `dropRate` says. */
  dropNext?: number;
  /** Apply faults to POST /oauth/token too (default false). */
  includeToken?: boolean;
}

export interface SimOptions {
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** `expires_in` of issued tokens (default 86399). */
  tokenTtlSeconds?: number;
  /** Requests per token per sliding 60 s window on /api/v2 (default 300). */
  rateLimitPerMinute?: number;
  /** Token requests per client id per sliding 60 s window (default 120). */
  tokenRateLimitPerMinute?: number;
  /** Send `Retry-After` with a 429 (default true; the real platform sometimes omits it). */
  retryAfterHeader?: boolean;
  /** Fixed Retry-After seconds instead of the time until the window frees a slot. */
  retryAfterSeconds?: number;
  /** A metric shows in aggregates only this long after its own time (default 2000). */
  analyticsLagMs?: number;
  /** Up to this much more lag, drawn per conversation (default 0). */
  analyticsLagJitterMs?: number;
  /**
   * Chance (0..1, default 0) that an optional field is left out: `numberOfContactsCalled` of a
   * progress answer, `dateModified` of a published campaign copy (both optional in the SDK models).
   */
  omitOptionalFields?: number;
  /** Publish campaign copies without `version` (default false; optional in the SDK model). */
  omitVersion?: boolean;
  /**
   * The bulk id endpoints (`GET /api/v2/outbound/campaigns?id=`, `POST .../campaigns/progress`)
   * answer 400 for a whole list that names an unknown campaign (default false: unknown ids are
   * left out). How the platform answers them is unverified; this is the harsher reading.
   */
  refuseUnknownIds?: boolean;
  /** Reject aggregate queries whose interval is longer than this many days (default: no cap). */
  maxIntervalDays?: number;
  /** Notification WebSocket heartbeat interval (default 30000; forum-sourced, see notifications.ts). */
  notificationHeartbeatMs?: number;
  /** A notification channel's life from creation or its latest subscribe (default 24 h). */
  notificationChannelTtlMs?: number;
  /** Topics per notification channel; one more is a 400 (default 1000). */
  notificationTopicLimit?: number;
  /** Channels per OAuth client; creating one more removes the least recently used (default 20). */
  notificationChannelLimit?: number;
  /** After a `v2.system.socket_closing` notice, the socket is closed this much later (default 60000). */
  socketClosingGraceMs?: number;
  /**
   * The org's Outbound Settings `complianceAbandonRateDenominator` (`GET /api/v2/outbound/settings`):
   * `ALL_CALLS` (default here; the platform's own default is unverified) or `CALLS_THAT_REACHED_QUEUE`.
   */
  complianceAbandonRateDenominator?: ComplianceAbandonRateDenominator;
  /** Outbound Settings `abandonSeconds`, the compliance abandon threshold (default 2, as Genesys's help says). */
  abandonSeconds?: number;
  faults?: FaultOptions;
  /** Seed for every generated outcome (default 42). */
  seed?: number;
  /** Start with a few finished demo campaigns already in analytics (default true). */
  demoCampaigns?: boolean;
  /** Clock in epoch ms (default Date.now). */
  now?: () => number;
  /** Request-log entries kept; older ones are dropped (default 100000, 0 keeps none). */
  requestLogLimit?: number;
}

/** The runtime settings the control API can change. */
export interface SimSettings {
  tokenTtlSeconds: number;
  rateLimitPerMinute: number;
  tokenRateLimitPerMinute: number;
  retryAfterHeader: boolean;
  retryAfterSeconds: number | undefined;
  analyticsLagMs: number;
  analyticsLagJitterMs: number;
  omitOptionalFields: number;
  omitVersion: boolean;
  refuseUnknownIds: boolean;
  maxIntervalDays: number | undefined;
  notificationHeartbeatMs: number;
  notificationChannelTtlMs: number;
  notificationTopicLimit: number;
  notificationChannelLimit: number;
  socketClosingGraceMs: number;
  complianceAbandonRateDenominator: ComplianceAbandonRateDenominator;
  abandonSeconds: number;
  /** Bumped on every change of the two above (the settings' `version`). */
  outboundSettingsVersion: number;
  faults: FaultOptions;
}

export const COMPLIANCE_ABANDON_RATE_DENOMINATORS = [
  'ALL_CALLS',
  'CALLS_THAT_REACHED_QUEUE',
] as const;
export type ComplianceAbandonRateDenominator =
  (typeof COMPLIANCE_ABANDON_RATE_DENOMINATORS)[number];

export interface ResolvedOptions extends SimSettings {
  port: number;
  host: string;
  clientId: string;
  clientSecret: string;
  seed: number;
  demoCampaigns: boolean;
  now: () => number;
  requestLogLimit: number;
}

export const DEFAULT_CLIENT_ID = 'wrapup-demo';
export const DEFAULT_CLIENT_SECRET = 'wrapup-demo-secret';
export const DEFAULT_REQUEST_LOG_LIMIT = 100_000;

/** The Notification API's defaults (sources in notifications.ts and docs/platform-facts.md). */
export const NOTIFICATION_DEFAULTS = {
  notificationHeartbeatMs: 30_000,
  notificationChannelTtlMs: 24 * 60 * 60 * 1000,
  notificationTopicLimit: 1000,
  notificationChannelLimit: 20,
  socketClosingGraceMs: 60_000,
} as const;

export function resolveOptions(opts: SimOptions = {}): ResolvedOptions {
  return {
    port: opts.port ?? 0,
    host: opts.host ?? '127.0.0.1',
    clientId: opts.clientId ?? DEFAULT_CLIENT_ID,
    clientSecret: opts.clientSecret ?? DEFAULT_CLIENT_SECRET,
    tokenTtlSeconds: opts.tokenTtlSeconds ?? 86399,
    rateLimitPerMinute: opts.rateLimitPerMinute ?? 300,
    tokenRateLimitPerMinute: opts.tokenRateLimitPerMinute ?? 120,
    retryAfterHeader: opts.retryAfterHeader ?? true,
    retryAfterSeconds: opts.retryAfterSeconds,
    analyticsLagMs: opts.analyticsLagMs ?? 2000,
    analyticsLagJitterMs: opts.analyticsLagJitterMs ?? 0,
    omitOptionalFields: opts.omitOptionalFields ?? 0,
    omitVersion: opts.omitVersion ?? false,
    refuseUnknownIds: opts.refuseUnknownIds ?? false,
    maxIntervalDays: opts.maxIntervalDays,
    notificationHeartbeatMs:
      opts.notificationHeartbeatMs ?? NOTIFICATION_DEFAULTS.notificationHeartbeatMs,
    notificationChannelTtlMs:
      opts.notificationChannelTtlMs ?? NOTIFICATION_DEFAULTS.notificationChannelTtlMs,
    notificationTopicLimit:
      opts.notificationTopicLimit ?? NOTIFICATION_DEFAULTS.notificationTopicLimit,
    notificationChannelLimit:
      opts.notificationChannelLimit ?? NOTIFICATION_DEFAULTS.notificationChannelLimit,
    socketClosingGraceMs: opts.socketClosingGraceMs ?? NOTIFICATION_DEFAULTS.socketClosingGraceMs,
    complianceAbandonRateDenominator: opts.complianceAbandonRateDenominator ?? 'ALL_CALLS',
    abandonSeconds: opts.abandonSeconds ?? 2,
    outboundSettingsVersion: 1,
    faults: { ...opts.faults },
    seed: opts.seed ?? 42,
    demoCampaigns: opts.demoCampaigns ?? true,
    now: opts.now ?? Date.now,
    requestLogLimit: opts.requestLogLimit ?? DEFAULT_REQUEST_LOG_LIMIT,
  };
}
