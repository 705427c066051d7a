import * as v from 'valibot';

/**
 * Every environment variable wrapup reads, with its default. Each entry turns the raw string
 * (or undefined) into a typed value or fails with a message that completes the sentence
 * "<VARIABLE> must be ...".
 */

export type RawEnv = Record<string, string | undefined>;

const blankToUndefined = (s: string | undefined) =>
  s === undefined || s.trim() === '' ? undefined : s.trim();

const text = (fallback: string) =>
  v.pipe(
    v.optional(v.string()),
    v.transform((s) => blankToUndefined(s) ?? fallback),
  );

const optionalText = () =>
  v.pipe(
    v.optional(v.string()),
    v.transform((s) => blankToUndefined(s)),
  );

const numberFrom = (fallback: number, check: (n: number) => boolean, what: string) =>
  v.pipe(
    v.optional(v.string()),
    v.transform((s) => blankToUndefined(s)),
    v.check((s) => s === undefined || (/^-?\d+(\.\d+)?$/.test(s) && check(Number(s))), what),
    v.transform((s) => (s === undefined ? fallback : Number(s))),
  );

const positiveNumber = (fallback: number) =>
  numberFrom(fallback, (n) => n > 0, 'a positive number');
const positiveInt = (fallback: number) =>
  numberFrom(fallback, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
const nonNegativeInt = (fallback: number) =>
  numberFrom(fallback, (n) => Number.isInteger(n) && n >= 0, 'a whole number >= 0');
const port = (fallback: number) =>
  numberFrom(fallback, (n) => Number.isInteger(n) && n > 0 && n < 65536, 'a port from 1 to 65535');

const flag = (fallback: boolean) =>
  v.pipe(
    v.optional(v.string()),
    v.transform((s) => blankToUndefined(s)?.toLowerCase()),
    v.check(
      (s) => s === undefined || ['true', 'false', '1', '0', 'yes', 'no'].includes(s),
      'true or false',
    ),
    v.transform((s) => (s === undefined ? fallback : ['true', '1', 'yes'].includes(s))),
  );

const optionalPort = () =>
  v.pipe(
    v.optional(v.string()),
    v.transform((s) => blankToUndefined(s)),
    v.check(
      (s) => s === undefined || (/^\d+$/.test(s) && Number(s) > 0 && Number(s) < 65536),
      'a port from 1 to 65535',
    ),
    v.transform((s) => (s === undefined ? undefined : Number(s))),
  );

/** `50h`, `90m`, `20s`, `1500ms`, `2d` (or `0`) in milliseconds; undefined when it does not parse. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(s.trim().toLowerCase());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (n !== 0 && m[2] === undefined) return undefined;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return Math.round(n * (units[m[2] ?? 'ms'] ?? 1));
}

const duration = (fallback: string) =>
  v.pipe(
    v.optional(v.string()),
    v.transform((s) => blankToUndefined(s) ?? fallback),
    v.check(
      (s) => parseDuration(s) !== undefined,
      'a duration such as 50h, 90m, 20s or 1500ms (0 turns it off)',
    ),
    v.transform((s) => parseDuration(s) ?? 0),
  );

/** A Standard Webhooks signing secret must carry at least this many bytes (after base64). */
export const MIN_SECRET_BYTES = 24;
/** The dashboard's Basic-auth password must be at least this long. */
export const MIN_PASSWORD_LENGTH = 12;

const isUrl = (s: string, protocols: string[]) => {
  try {
    return protocols.includes(new URL(s).protocol);
  } catch {
    return false;
  }
};

/** A URL variable; with a string fallback its output is a string, without one it may be undefined. */
const url = <F extends string | undefined>(fallback: F, protocols: string[], what: string) =>
  v.pipe(
    v.optional(v.string()),
    v.transform((s) => blankToUndefined(s)),
    v.check((s) => s === undefined || isUrl(s, protocols), what),
    v.transform((s): string | F => s ?? fallback),
  );

const list = (separator: RegExp, check: (item: string) => boolean, what: string) =>
  v.pipe(
    v.optional(v.string()),
    v.transform((s) =>
      (s ?? '')
        .split(separator)
        .map((x) => x.trim())
        .filter((x) => x !== ''),
    ),
    v.check((items) => items.every(check), what),
  );

const oneOf = <T extends string>(values: readonly T[], fallback: T) =>
  v.pipe(
    v.optional(v.string()),
    v.transform((s) => blankToUndefined(s)?.toLowerCase() ?? fallback),
    v.check((s) => (values as readonly string[]).includes(s), `one of ${values.join(', ')}`),
    v.transform((s) => s as T),
  );

const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

export const TRIGGER_STATUS_VALUES = ['completed', 'stopped'] as const;
export type TriggerStatus = (typeof TRIGGER_STATUS_VALUES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Variable name -> schema. The README's configuration table is checked against these keys. */
export const envSchema = {
  NODE_ENV: text('development'),
  REDIS_URL: url('redis://127.0.0.1:6379', ['redis:', 'rediss:'], 'a redis:// or rediss:// URL'),
  REDIS_CLUSTER_NODES: list(
    /[\s,]+/,
    (s) => /^[^\s:/]+:\d{1,5}$/.test(s) && Number(s.slice(s.lastIndexOf(':') + 1)) <= 65_535,
    'comma-separated host:port seeds of a Redis Cluster',
  ),
  QUEUE_PREFIX: v.pipe(
    text('wrapup'),
    v.check((s) => /^[A-Za-z0-9_.:-]{1,64}$/.test(s), '1 to 64 letters, digits, _ . : or -'),
  ),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  INGEST_HOST: text('127.0.0.1'),
  INGEST_PORT: port(3000),
  WEBHOOK_SECRET: list(
    /\s+/,
    (s) =>
      /^whsec_[A-Za-z0-9+/=]+$/.test(s) &&
      Buffer.from(s.slice(6), 'base64').length >= MIN_SECRET_BYTES,
    `whsec_<base64> secrets of at least ${MIN_SECRET_BYTES} bytes, separated by spaces`,
  ),
  WEBHOOK_API_KEYS: list(
    /,/,
    (s) => s.length >= 16,
    'comma-separated keys of at least 16 characters',
  ),
  WEBHOOK_AUTH: oneOf(['required', 'none'] as const, 'required'),
  MAX_BODY_BYTES: positiveInt(262_144),
  TRIGGER_STATUSES: v.pipe(
    list(
      /,/,
      (s) => (TRIGGER_STATUS_VALUES as readonly string[]).includes(s.toLowerCase()),
      'a comma-separated list of completed, stopped',
    ),
    v.transform(
      (items) =>
        (items.length === 0
          ? ['completed', 'stopped']
          : items.map((s) => s.toLowerCase())) as TriggerStatus[],
    ),
  ),
  DEDUPE_TTL_HOURS: positiveNumber(168),
  START_TTL_HOURS: positiveNumber(72),
  RUN_RETENTION_HOURS: positiveNumber(720),
  DASHBOARD_USER: optionalText(),
  DASHBOARD_PASSWORD: v.pipe(
    optionalText(),
    v.check(
      (s) => s === undefined || s.length >= MIN_PASSWORD_LENGTH,
      `at least ${MIN_PASSWORD_LENGTH} characters`,
    ),
  ),
  DASHBOARD_READ_ONLY: flag(true),
  /** The ingest's external base URL; notifications link to the report page under it. */
  PUBLIC_URL: v.pipe(
    url(undefined, ['http:', 'https:'], 'an http(s) URL without a query or fragment'),
    v.check(
      (s) => s === undefined || !/[?#]/.test(s),
      'an http(s) URL without a query or fragment',
    ),
  ),
  ADMIN_PORT: optionalPort(),
  TLS_CERT_FILE: optionalText(),
  TLS_KEY_FILE: optionalText(),
  BODY_READ_TIMEOUT_MS: positiveInt(10_000),
  MAX_UNVERIFIED_BODIES: positiveInt(64),
  EVENT_MAX_AGE_DAYS: positiveNumber(30),
  EVENT_MAX_FUTURE_SECONDS: nonNegativeInt(300),
  MAX_WINDOW_DAYS: positiveNumber(31),
  GENESYS_REGION: v.pipe(
    text('mypurecloud.com'),
    v.check((s) => /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(s), 'a region domain such as mypurecloud.ie'),
  ),
  GENESYS_API_URL: url(undefined, ['http:', 'https:'], 'an http(s) URL'),
  GENESYS_LOGIN_URL: url(undefined, ['http:', 'https:'], 'an http(s) URL'),
  GENESYS_CLIENT_ID: optionalText(),
  GENESYS_CLIENT_SECRET: optionalText(),
  GENESYS_MAX_RPS: positiveNumber(4),
  GENESYS_BURST: nonNegativeInt(1),
  GENESYS_TIMEOUT_MS: positiveInt(15_000),
  ANALYTICS_RETRY_DELAY_MS: positiveInt(30_000),
  ANALYTICS_BACKOFF_FACTOR: numberFrom(1, (n) => n >= 1, 'a number >= 1'),
  ANALYTICS_MAX_WAIT_MS: nonNegativeInt(300_000),
  QUERY_BUFFER_MINUTES: nonNegativeInt(5),
  ANALYTICS_SETTLE_MS: nonNegativeInt(60_000),
  ANALYTICS_REQUIRE_HANDLED: flag(true),
  ANALYTICS_TAIL_MINUTES: nonNegativeInt(30),
  /** Batch the Genesys checks of runs waiting at the same time (false: one query per run). */
  ANALYTICS_BATCH: flag(true),
  /** How long a waking check waits for others to join its batch before the batch is sent. */
  ANALYTICS_BATCH_WINDOW_MS: nonNegativeInt(250),
  /** Analytics jobs per worker process (a job waiting in a batch holds its slot). */
  ANALYTICS_CONCURRENCY: positiveInt(100),
  DEFAULT_LOOKBACK_HOURS: positiveNumber(24),
  EVENT_TIMEZONE: v.pipe(
    text('UTC'),
    v.check(isTimeZone, 'an IANA time zone such as Europe/Berlin'),
  ),
  INVENTORY_URL: v.pipe(
    url(undefined, ['http:', 'https:'], 'an http(s) URL containing {campaignId}'),
    v.check(
      (s) => s === undefined || s.includes('{campaignId}'),
      'an http(s) URL containing {campaignId}',
    ),
  ),
  INVENTORY_FILE: optionalText(),
  WAREHOUSE_URL: url(
    undefined,
    ['postgres:', 'postgresql:', 'http:', 'https:'],
    'a postgres://, http:// or https:// URL',
  ),
  WAREHOUSE_TABLE: v.pipe(
    text('campaign_reports'),
    v.check(
      (s) => /^([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(s),
      'a table name, optionally schema-qualified (letters, digits, _)',
    ),
  ),
  DATA_DIR: text('./data'),
  NOTIFY_URLS: list(/,/, (s) => isUrl(s, ['http:', 'https:']), 'comma-separated http(s) URLs'),
  WORKER_CONCURRENCY: positiveInt(10),
  WORKER_LOCK_DURATION_MS: numberFrom(
    30_000,
    (n) => Number.isInteger(n) && n >= 1000,
    'a whole number of milliseconds >= 1000',
  ),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  GENESYS_EVENT_SOURCE: oneOf(['webhook', 'websocket'] as const, 'webhook'),
  /** How long the Notification API listener's lease lasts; another worker takes over within it. */
  EVENT_SOURCE_LEASE_MS: numberFrom(
    15_000,
    (n) => Number.isInteger(n) && n >= 1000,
    'a whole number of milliseconds >= 1000',
  ),
  /** Topics per notification channel (the platform allows 1,000). */
  NOTIFICATION_TOPICS_PER_CHANNEL: numberFrom(
    1000,
    (n) => Number.isInteger(n) && n >= 1 && n <= 1000,
    'a whole number from 1 to 1000',
  ),
  /** With no message (heartbeats come every 30 s) for this long, the socket is taken as dead. */
  NOTIFICATION_HEARTBEAT_TIMEOUT_MS: positiveInt(90_000),
  RECONCILE_EVERY_MINUTES: numberFrom(
    10,
    // a sweep lists every campaign: not more often than every 300 ms (tests), never rounded to 0
    (n) => n === 0 || n >= 0.005,
    'a number of minutes, at least 0.005 (0 turns it off)',
  ),
  FINAL_REPORT_AFTER: duration('50h'),
  /**
   * The legal ceiling of the compliance abandon rate, as a fraction (0.03 = 3%, the US TSR and
   * Ofcom's UK policy). A report is flagged when its compliance abandon rate is above this or the
   * campaign's own `abandonRate` target, whichever is lower; 0 turns the check off.
   */
  ABANDON_RATE_LIMIT: numberFrom(
    0.03,
    (n) => n >= 0 && n <= 1,
    'a fraction from 0 to 1 (0.03 = 3%; 0 turns the check off)',
  ),
} as const;

export type EnvName = keyof typeof envSchema;
export const ENV_NAMES = Object.keys(envSchema) as EnvName[];
