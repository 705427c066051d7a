import * as v from 'valibot';
import {
  ENV_NAMES,
  envSchema,
  LOG_LEVELS,
  type EnvName,
  type RawEnv,
  type TriggerStatus,
} from './schema';

export type LogLevel = (typeof LOG_LEVELS)[number];

/** Each variable as its schema parses it (defaults applied). */
export type ParsedEnv = { [K in EnvName]: v.InferOutput<(typeof envSchema)[K]> };

export interface Config {
  nodeEnv: string;
  redisUrl: string;
  /**
   * REDIS_CLUSTER_NODES: seeds of a Redis Cluster (host and port each). When not empty, every
   * process connects with ioredis's Cluster client and REDIS_URL is not used.
   */
  redisClusterNodes: { host: string; port: number }[];
  queuePrefix: string;
  logLevel: LogLevel;
  ingest: {
    host: string;
    port: number;
    maxBodyBytes: number;
    /** When set, /admin/* and /metrics are served only on this port (same host). */
    adminPort: number | undefined;
    /** A webhook body must be read within this long. */
    bodyReadTimeoutMs: number;
    /** At most this many bodies are read at once before their signature is checked. */
    maxUnverifiedBodies: number;
    /** PEM certificate and key: the ingest serves HTTPS only (TLS 1.2 minimum). */
    tls: { certFile: string; keyFile: string } | undefined;
  };
  webhook: {
    secrets: string[];
    apiKeys: string[];
    auth: 'required' | 'none';
    triggerStatuses: TriggerStatus[];
    dedupeTtlHours: number;
    startTtlHours: number;
  };
  runRetentionHours: number;
  dashboard: { user: string; password: string } | undefined;
  /** Bull Board without write actions (retry, clean, ...); adding jobs from the UI is never possible. */
  dashboardReadOnly: boolean;
  /** PUBLIC_URL without a trailing slash: notifications link to `${publicUrl}/admin/reports/<reportId>`. */
  publicUrl: string | undefined;
  /** Event times are refused when older than this or further in the future than that. */
  events: { maxAgeDays: number; maxFutureSeconds: number };
  genesys: {
    region: string;
    apiUrl: string;
    loginUrl: string;
    clientId: string | undefined;
    clientSecret: string | undefined;
    maxRps: number;
    burst: number;
    timeoutMs: number;
  };
  analytics: {
    retryDelayMs: number;
    backoffFactor: number;
    maxWaitMs: number;
    queryBufferMinutes: number;
    defaultLookbackHours: number;
    /** Counts must be unchanged this long before a report counts as complete (0: one check is enough). */
    settleMs: number;
    /** Also require every connected call to have its handle time or to be abandoned (after-call work is in). */
    requireHandled: boolean;
    /** How far past the finish the query interval reaches, so late after-call work is counted. */
    tailMinutes: number;
    /** The longest analytics window one run may query; an earlier start is clamped. */
    maxWindowDays: number;
    /** ANALYTICS_BATCH: runs waiting at the same time share their Genesys calls. */
    batch: boolean;
    /** ANALYTICS_BATCH_WINDOW_MS: how long a check waits for others to join its batch. */
    batchWindowMs: number;
    /** ANALYTICS_CONCURRENCY: analytics jobs per worker process. */
    concurrency: number;
  };
  eventTimezone: string;
  inventory: { url: string | undefined; file: string | undefined };
  warehouse: { url: string | undefined; table: string; dataDir: string };
  notifyUrls: string[];
  workerConcurrency: number;
  /** How long a worker's job lock lasts; a killed worker's jobs are taken over after about this long. */
  workerLockDurationMs: number;
  shutdownTimeoutMs: number;
  /** Where finishes come from besides the webhook (GENESYS_EVENT_SOURCE). */
  eventSource: {
    kind: 'webhook' | 'websocket';
    /** The Notification API listener's lease: one listener across all worker processes. */
    leaseMs: number;
    topicsPerChannel: number;
    heartbeatTimeoutMs: number;
  };
  /** The reconciliation sweep's interval in ms (0: off). */
  reconcileEveryMs: number;
  /** When a delivered report is re-checked and marked final, in ms (0: never). */
  finalReportAfterMs: number;
  /** ABANDON_RATE_LIMIT: the compliance abandon rate's ceiling as a fraction (0: no check). */
  abandonRateLimit: number;
}

/** A variable's default, as its schema applies it (one source for defaults used outside loadConfig). */
export function envDefault<K extends EnvName>(name: K): ParsedEnv[K] {
  return v.parse(envSchema[name], undefined) as ParsedEnv[K];
}

/** Thrown by loadConfig; `problems` holds one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

const show = (raw: string | undefined) => JSON.stringify(raw ?? '');

/** Variables whose value is never echoed: secrets, and NOTIFY_URLS (webhook URLs embed tokens). */
const SECRET_NAME = /SECRET|PASSWORD|KEYS|NOTIFY_URLS/;

/** `scheme://user:pass@host` -> `scheme://***@host`, so URL credentials never reach a log. */
const redactCredentials = (raw: string) => raw.replace(/(\/\/)[^/@\s]*@/g, '$1***@');

/** How a bad value is quoted in an error line (empty for secrets). */
function echo(name: string, raw: string | undefined): string {
  if (SECRET_NAME.test(name)) return '';
  return `, got ${show(raw === undefined ? raw : redactCredentials(raw))}`;
}

/**
 * Parses the environment (pure: pass process.env or any record). Returns the typed config or
 * throws a ConfigError with one line per bad variable, e.g.
 * `GENESYS_MAX_RPS must be a positive number, got "fast"`.
 */
export function loadConfig(source: RawEnv): Config {
  const problems: string[] = [];
  const values = parseEach(envSchema, ENV_NAMES, source, (name, message) =>
    problems.push(`${name} must be ${message}${echo(name, source[name])}`),
  );
  /** Cross-checks run whenever the variables they read parsed, so every problem shows at once. */
  const parsed = (...names: EnvName[]) => names.every((n) => n in values);

  if (parsed('WEBHOOK_AUTH', 'NODE_ENV')) {
    if (values.WEBHOOK_AUTH === 'none' && values.NODE_ENV === 'production') {
      problems.push('WEBHOOK_AUTH must be "required" when NODE_ENV=production, got "none"');
    }
  }
  if (parsed('DASHBOARD_USER', 'DASHBOARD_PASSWORD')) {
    const user = values.DASHBOARD_USER;
    const password = values.DASHBOARD_PASSWORD;
    if ((user === undefined) !== (password === undefined)) {
      problems.push(
        `${user === undefined ? 'DASHBOARD_USER' : 'DASHBOARD_PASSWORD'} must be set together with ${user === undefined ? 'DASHBOARD_PASSWORD' : 'DASHBOARD_USER'}`,
      );
    }
  }
  if (parsed('GENESYS_CLIENT_ID', 'GENESYS_CLIENT_SECRET')) {
    const id = values.GENESYS_CLIENT_ID;
    const secret = values.GENESYS_CLIENT_SECRET;
    if ((id === undefined) !== (secret === undefined)) {
      problems.push(
        `${id === undefined ? 'GENESYS_CLIENT_ID' : 'GENESYS_CLIENT_SECRET'} must be set together with ${id === undefined ? 'GENESYS_CLIENT_SECRET' : 'GENESYS_CLIENT_ID'}`,
      );
    }
  }
  if (parsed('INVENTORY_URL', 'INVENTORY_FILE')) {
    if (values.INVENTORY_URL && values.INVENTORY_FILE) {
      problems.push('INVENTORY_FILE must not be set together with INVENTORY_URL');
    }
  }
  if (parsed('TLS_CERT_FILE', 'TLS_KEY_FILE')) {
    const cert = values.TLS_CERT_FILE;
    const key = values.TLS_KEY_FILE;
    if ((cert === undefined) !== (key === undefined)) {
      problems.push(
        `${cert === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE'} must be set together with ${cert === undefined ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'}`,
      );
    }
  }
  if (parsed('ADMIN_PORT', 'INGEST_PORT')) {
    if (values.ADMIN_PORT !== undefined && values.ADMIN_PORT === values.INGEST_PORT) {
      problems.push(`ADMIN_PORT must differ from INGEST_PORT, got ${values.ADMIN_PORT}`);
    }
  }
  // A run's record is what keeps a finish from being reported twice (a late redelivery, a
  // backfill) and what the final re-check reads: it must outlive both.
  if (parsed('RUN_RETENTION_HOURS', 'EVENT_MAX_AGE_DAYS', 'FINAL_REPORT_AFTER')) {
    const hours = values.RUN_RETENTION_HOURS ?? 0;
    const needed = Math.max(
      (values.EVENT_MAX_AGE_DAYS ?? 0) * 24,
      (values.FINAL_REPORT_AFTER ?? 0) / 3_600_000,
    );
    if (hours < needed) {
      problems.push(
        `RUN_RETENTION_HOURS must be at least ${needed} (EVENT_MAX_AGE_DAYS × 24 and FINAL_REPORT_AFTER: a run forgotten sooner could be reported twice or never re-checked), got "${hours}"`,
      );
    }
  }
  if (problems.length > 0 || !isComplete(values)) throw new ConfigError(problems);
  return toConfig(values);
}

/** Parses each variable with its own schema; the values that parsed, typed by name. */
function parseEach<S extends { [K in keyof S]: v.GenericSchema }>(
  schemas: S,
  names: readonly (keyof S & string)[],
  source: RawEnv,
  problem: (name: string, message: string) => void,
): { [K in keyof S]?: v.InferOutput<S[K]> } {
  const values: { [K in keyof S]?: v.InferOutput<S[K]> } = {};
  const read = <K extends keyof S & string>(name: K) => {
    const result = v.safeParse(schemas[name], source[name]);
    if (result.success) values[name] = result.output;
    else problem(name, result.issues[0].message);
  };
  for (const name of names) read(name);
  return values;
}

/** True when every variable parsed (a failed one is missing from `values`). */
const isComplete = (values: Partial<ParsedEnv>): values is ParsedEnv =>
  ENV_NAMES.every((n) => n in values);

/** The parsed variables as the structured Config. */
function toConfig(env: ParsedEnv): Config {
  const region = env.GENESYS_REGION;
  const { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile } = env;
  const { DASHBOARD_USER: user, DASHBOARD_PASSWORD: password } = env;
  return {
    nodeEnv: env.NODE_ENV,
    // url() in schema.ts types its output `string | undefined` even with a fallback, as REDIS_URL has.
    redisUrl: env.REDIS_URL,
    redisClusterNodes: env.REDIS_CLUSTER_NODES.map((seed) => {
      const at = seed.lastIndexOf(':');
      return { host: seed.slice(0, at), port: Number(seed.slice(at + 1)) };
    }),
    queuePrefix: env.QUEUE_PREFIX,
    logLevel: env.LOG_LEVEL,
    ingest: {
      host: env.INGEST_HOST,
      port: env.INGEST_PORT,
      maxBodyBytes: env.MAX_BODY_BYTES,
      adminPort: env.ADMIN_PORT,
      bodyReadTimeoutMs: env.BODY_READ_TIMEOUT_MS,
      maxUnverifiedBodies: env.MAX_UNVERIFIED_BODIES,
      tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined,
    },
    webhook: {
      secrets: env.WEBHOOK_SECRET,
      apiKeys: env.WEBHOOK_API_KEYS,
      auth: env.WEBHOOK_AUTH,
      triggerStatuses: env.TRIGGER_STATUSES,
      dedupeTtlHours: env.DEDUPE_TTL_HOURS,
      startTtlHours: env.START_TTL_HOURS,
    },
    runRetentionHours: env.RUN_RETENTION_HOURS,
    dashboard: user !== undefined && password !== undefined ? { user, password } : undefined,
    dashboardReadOnly: env.DASHBOARD_READ_ONLY,
    publicUrl: env.PUBLIC_URL === undefined ? undefined : stripSlash(env.PUBLIC_URL),
    events: { maxAgeDays: env.EVENT_MAX_AGE_DAYS, maxFutureSeconds: env.EVENT_MAX_FUTURE_SECONDS },
    genesys: {
      region,
      apiUrl: stripSlash(env.GENESYS_API_URL ?? `https://api.${region}`),
      loginUrl: stripSlash(env.GENESYS_LOGIN_URL ?? `https://login.${region}`),
      clientId: env.GENESYS_CLIENT_ID,
      clientSecret: env.GENESYS_CLIENT_SECRET,
      maxRps: env.GENESYS_MAX_RPS,
      burst: env.GENESYS_BURST,
      timeoutMs: env.GENESYS_TIMEOUT_MS,
    },
    analytics: {
      retryDelayMs: env.ANALYTICS_RETRY_DELAY_MS,
      backoffFactor: env.ANALYTICS_BACKOFF_FACTOR,
      maxWaitMs: env.ANALYTICS_MAX_WAIT_MS,
      queryBufferMinutes: env.QUERY_BUFFER_MINUTES,
      defaultLookbackHours: env.DEFAULT_LOOKBACK_HOURS,
      settleMs: env.ANALYTICS_SETTLE_MS,
      requireHandled: env.ANALYTICS_REQUIRE_HANDLED,
      tailMinutes: env.ANALYTICS_TAIL_MINUTES,
      maxWindowDays: env.MAX_WINDOW_DAYS,
      batch: env.ANALYTICS_BATCH,
      batchWindowMs: env.ANALYTICS_BATCH_WINDOW_MS,
      concurrency: env.ANALYTICS_CONCURRENCY,
    },
    eventTimezone: env.EVENT_TIMEZONE,
    inventory: { url: env.INVENTORY_URL, file: env.INVENTORY_FILE },
    warehouse: { url: env.WAREHOUSE_URL, table: env.WAREHOUSE_TABLE, dataDir: env.DATA_DIR },
    notifyUrls: env.NOTIFY_URLS,
    workerConcurrency: env.WORKER_CONCURRENCY,
    workerLockDurationMs: env.WORKER_LOCK_DURATION_MS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    eventSource: {
      kind: env.GENESYS_EVENT_SOURCE,
      leaseMs: env.EVENT_SOURCE_LEASE_MS,
      topicsPerChannel: env.NOTIFICATION_TOPICS_PER_CHANNEL,
      heartbeatTimeoutMs: env.NOTIFICATION_HEARTBEAT_TIMEOUT_MS,
    },
    reconcileEveryMs: Math.round(env.RECONCILE_EVERY_MINUTES * 60_000),
    finalReportAfterMs: env.FINAL_REPORT_AFTER,
    abandonRateLimit: env.ABANDON_RATE_LIMIT,
  };
}

const stripSlash = (s: string) => s.replace(/\/+$/, '');

/** For main.ts: load or print the problems (one line each) and exit 1. */
export function loadConfigOrExit(
  source: RawEnv,
  exit: (code: number) => never = (code) => process.exit(code),
): Config {
  try {
    return loadConfig(source);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.problems) process.stderr.write(`config error: ${line}\n`);
      return exit(1);
    }
    throw err;
  }
}
