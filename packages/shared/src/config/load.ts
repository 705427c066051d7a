import * as v from 'valibot';
import { envSchema, type RawEnv, type TriggerStatus } from './schema';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  nodeEnv: string;
  redisUrl: string;
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
  };
  eventTimezone: string;
  inventory: { url: string | undefined; file: string | undefined };
  warehouse: { url: string | undefined; table: string; dataDir: string };
  notifyUrls: string[];
  workerConcurrency: number;
  /** How long a worker's job lock lasts; a killed worker's jobs are taken over after about this long. */
  workerLockDurationMs: number;
  shutdownTimeoutMs: number;
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
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(envSchema)) {
    const raw = source[name];
    const result = v.safeParse(schema, raw);
    if (result.success) values[name] = result.output;
    else {
      const message = result.issues[0]?.message ?? 'valid';
      problems.push(`${name} must be ${message}${echo(name, raw)}`);
    }
  }
  const get = <T>(name: keyof typeof envSchema) => values[name] as T;
  /** Cross-checks run whenever the variables they read parsed, so every problem shows at once. */
  const parsed = (...names: (keyof typeof envSchema)[]) => names.every((n) => n in values);

  if (parsed('WEBHOOK_AUTH', 'NODE_ENV')) {
    if (get<string>('WEBHOOK_AUTH') === 'none' && get<string>('NODE_ENV') === 'production') {
      problems.push('WEBHOOK_AUTH must be "required" when NODE_ENV=production, got "none"');
    }
  }
  if (parsed('DASHBOARD_USER', 'DASHBOARD_PASSWORD')) {
    const user = get<string | undefined>('DASHBOARD_USER');
    const password = get<string | undefined>('DASHBOARD_PASSWORD');
    if ((user === undefined) !== (password === undefined)) {
      problems.push(
        `${user === undefined ? 'DASHBOARD_USER' : 'DASHBOARD_PASSWORD'} must be set together with ${user === undefined ? 'DASHBOARD_PASSWORD' : 'DASHBOARD_USER'}`,
      );
    }
  }
  if (parsed('GENESYS_CLIENT_ID', 'GENESYS_CLIENT_SECRET')) {
    const id = get<string | undefined>('GENESYS_CLIENT_ID');
    const secret = get<string | undefined>('GENESYS_CLIENT_SECRET');
    if ((id === undefined) !== (secret === undefined)) {
      problems.push(
        `${id === undefined ? 'GENESYS_CLIENT_ID' : 'GENESYS_CLIENT_SECRET'} must be set together with ${id === undefined ? 'GENESYS_CLIENT_SECRET' : 'GENESYS_CLIENT_ID'}`,
      );
    }
  }
  if (parsed('INVENTORY_URL', 'INVENTORY_FILE')) {
    if (get<string | undefined>('INVENTORY_URL') && get<string | undefined>('INVENTORY_FILE')) {
      problems.push('INVENTORY_FILE must not be set together with INVENTORY_URL');
    }
  }
  if (parsed('TLS_CERT_FILE', 'TLS_KEY_FILE')) {
    const cert = get<string | undefined>('TLS_CERT_FILE');
    const key = get<string | undefined>('TLS_KEY_FILE');
    if ((cert === undefined) !== (key === undefined)) {
      problems.push(
        `${cert === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE'} must be set together with ${cert === undefined ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'}`,
      );
    }
  }
  if (parsed('ADMIN_PORT', 'INGEST_PORT')) {
    if (get<number | undefined>('ADMIN_PORT') !== undefined && get<number>('ADMIN_PORT') === get<number>('INGEST_PORT')) {
      problems.push(`ADMIN_PORT must differ from INGEST_PORT, got ${get<number>('ADMIN_PORT')}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const tlsCert = get<string | undefined>('TLS_CERT_FILE');
  const tlsKey = get<string | undefined>('TLS_KEY_FILE');
  const region = get<string>('GENESYS_REGION');
  const user = get<string | undefined>('DASHBOARD_USER');
  const password = get<string | undefined>('DASHBOARD_PASSWORD');
  return {
    nodeEnv: get('NODE_ENV'),
    redisUrl: get('REDIS_URL'),
    queuePrefix: get('QUEUE_PREFIX'),
    logLevel: get('LOG_LEVEL'),
    ingest: {
      host: get('INGEST_HOST'),
      port: get('INGEST_PORT'),
      maxBodyBytes: get('MAX_BODY_BYTES'),
      adminPort: get('ADMIN_PORT'),
      bodyReadTimeoutMs: get('BODY_READ_TIMEOUT_MS'),
      maxUnverifiedBodies: get('MAX_UNVERIFIED_BODIES'),
      tls: tlsCert !== undefined && tlsKey !== undefined ? { certFile: tlsCert, keyFile: tlsKey } : undefined,
    },
    webhook: {
      secrets: get('WEBHOOK_SECRET'),
      apiKeys: get('WEBHOOK_API_KEYS'),
      auth: get('WEBHOOK_AUTH'),
      triggerStatuses: get('TRIGGER_STATUSES'),
      dedupeTtlHours: get('DEDUPE_TTL_HOURS'),
      startTtlHours: get('START_TTL_HOURS'),
    },
    runRetentionHours: get('RUN_RETENTION_HOURS'),
    dashboard: user !== undefined && password !== undefined ? { user, password } : undefined,
    dashboardReadOnly: get('DASHBOARD_READ_ONLY'),
    events: { maxAgeDays: get('EVENT_MAX_AGE_DAYS'), maxFutureSeconds: get('EVENT_MAX_FUTURE_SECONDS') },
    genesys: {
      region,
      apiUrl: stripSlash(get<string | undefined>('GENESYS_API_URL') ?? `https://api.${region}`),
      loginUrl: stripSlash(get<string | undefined>('GENESYS_LOGIN_URL') ?? `https://login.${region}`),
      clientId: get('GENESYS_CLIENT_ID'),
      clientSecret: get('GENESYS_CLIENT_SECRET'),
      maxRps: get('GENESYS_MAX_RPS'),
      burst: get('GENESYS_BURST'),
      timeoutMs: get('GENESYS_TIMEOUT_MS'),
    },
    analytics: {
      retryDelayMs: get('ANALYTICS_RETRY_DELAY_MS'),
      backoffFactor: get('ANALYTICS_BACKOFF_FACTOR'),
      maxWaitMs: get('ANALYTICS_MAX_WAIT_MS'),
      queryBufferMinutes: get('QUERY_BUFFER_MINUTES'),
      defaultLookbackHours: get('DEFAULT_LOOKBACK_HOURS'),
      settleMs: get('ANALYTICS_SETTLE_MS'),
      requireHandled: get('ANALYTICS_REQUIRE_HANDLED'),
      tailMinutes: get('ANALYTICS_TAIL_MINUTES'),
      maxWindowDays: get('MAX_WINDOW_DAYS'),
    },
    eventTimezone: get('EVENT_TIMEZONE'),
    inventory: { url: get('INVENTORY_URL'), file: get('INVENTORY_FILE') },
    warehouse: { url: get('WAREHOUSE_URL'), table: get('WAREHOUSE_TABLE'), dataDir: get('DATA_DIR') },
    notifyUrls: get('NOTIFY_URLS'),
    workerConcurrency: get('WORKER_CONCURRENCY'),
    workerLockDurationMs: get('WORKER_LOCK_DURATION_MS'),
    shutdownTimeoutMs: get('SHUTDOWN_TIMEOUT_MS'),
  };
}

const stripSlash = (s: string) => s.replace(/\/+$/, '');

/** For main.ts: load or print the problems (one line each) and exit 1. */
export function loadConfigOrExit(source: RawEnv, exit: (code: number) => never = (code) => process.exit(code)): Config {
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
