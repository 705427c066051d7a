import { describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig, loadConfigOrExit } from './load';
import { ENV_NAMES, parseDuration } from './schema';

const problemsOf = (env: Record<string, string | undefined>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected loadConfig to throw');
};

describe('loadConfig defaults', () => {
  it('gives every default on an empty environment', () => {
    expect(loadConfig({})).toEqual({
      nodeEnv: 'development',
      redisUrl: 'redis://127.0.0.1:6379',
      redisClusterNodes: [],
      queuePrefix: 'wrapup',
      logLevel: 'info',
      ingest: {
        host: '127.0.0.1',
        port: 3000,
        maxBodyBytes: 262_144,
        adminPort: undefined,
        bodyReadTimeoutMs: 10_000,
        maxUnverifiedBodies: 64,
        tls: undefined,
      },
      webhook: {
        secrets: [],
        apiKeys: [],
        auth: 'required',
        triggerStatuses: ['completed', 'stopped'],
        dedupeTtlHours: 168,
        startTtlHours: 72,
      },
      runRetentionHours: 720,
      dashboard: undefined,
      dashboardReadOnly: true,
      publicUrl: undefined,
      events: { maxAgeDays: 30, maxFutureSeconds: 300 },
      genesys: {
        region: 'mypurecloud.com',
        apiUrl: 'https://api.mypurecloud.com',
        loginUrl: 'https://login.mypurecloud.com',
        clientId: undefined,
        clientSecret: undefined,
        maxRps: 4,
        burst: 1,
        timeoutMs: 15_000,
      },
      analytics: {
        retryDelayMs: 30_000,
        backoffFactor: 1,
        maxWaitMs: 300_000,
        queryBufferMinutes: 5,
        defaultLookbackHours: 24,
        settleMs: 60_000,
        requireHandled: true,
        tailMinutes: 30,
        maxWindowDays: 31,
        batch: true,
        batchWindowMs: 250,
        concurrency: 100,
      },
      eventTimezone: 'UTC',
      inventory: { url: undefined, file: undefined },
      warehouse: { url: undefined, table: 'campaign_reports', dataDir: './data' },
      notifyUrls: [],
      workerConcurrency: 10,
      workerLockDurationMs: 30_000,
      shutdownTimeoutMs: 10_000,
      eventSource: {
        kind: 'webhook',
        leaseMs: 15_000,
        topicsPerChannel: 1000,
        heartbeatTimeoutMs: 90_000,
      },
      reconcileEveryMs: 600_000,
      finalReportAfterMs: 50 * 3_600_000,
      abandonRateLimit: 0.03,
    });
  });

  it('treats blank values as unset', () => {
    const blank = Object.fromEntries(ENV_NAMES.map((n) => [n, '  ']));
    expect(loadConfig(blank)).toEqual(loadConfig({}));
  });

  it('reads every contract variable', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://redis:6380/2',
      REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b.local:7001,10.0.0.3:7002',
      QUEUE_PREFIX: 'acme:prod',
      LOG_LEVEL: 'DEBUG',
      INGEST_HOST: '0.0.0.0',
      INGEST_PORT: '8080',
      WEBHOOK_SECRET:
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_b2xkc2VjcmV0LW9sZHNlY3JldC1vbGRzZWNyZXQ=',
      WEBHOOK_API_KEYS: 'key-aaaaaaaaaaaaaaaa, key-bbbbbbbbbbbbbbbb',
      MAX_BODY_BYTES: '1024',
      TRIGGER_STATUSES: 'Completed',
      DASHBOARD_USER: 'ops',
      DASHBOARD_PASSWORD: 'hunter22-hunter22',
      GENESYS_CLIENT_ID: 'id',
      GENESYS_CLIENT_SECRET: 'secret',
      GENESYS_MAX_RPS: '2.5',
      GENESYS_BURST: '0',
      ANALYTICS_RETRY_DELAY_MS: '100',
      ANALYTICS_BACKOFF_FACTOR: '1.5',
      ANALYTICS_MAX_WAIT_MS: '0',
      QUERY_BUFFER_MINUTES: '0',
      ANALYTICS_SETTLE_MS: '2500',
      ANALYTICS_REQUIRE_HANDLED: 'false',
      ANALYTICS_TAIL_MINUTES: '0',
      ANALYTICS_BATCH: 'false',
      ANALYTICS_BATCH_WINDOW_MS: '0',
      ANALYTICS_CONCURRENCY: '40',
      DEFAULT_LOOKBACK_HOURS: '0.5',
      EVENT_TIMEZONE: 'Europe/Berlin',
      INVENTORY_URL: 'http://inventory.local/campaigns/{campaignId}',
      WAREHOUSE_URL: 'postgres://u:p@db/warehouse',
      WAREHOUSE_TABLE: 'analytics.campaign_reports',
      NOTIFY_URLS: 'https://hooks.slack.com/services/T/B/x,http://localhost:9000/hook',
      WORKER_CONCURRENCY: '3',
    });
    expect(config.redisUrl).toBe('redis://redis:6380/2');
    expect(config.redisClusterNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b.local', port: 7001 },
      { host: '10.0.0.3', port: 7002 },
    ]);
    expect(config.queuePrefix).toBe('acme:prod');
    expect(config.logLevel).toBe('debug');
    expect(config.ingest).toMatchObject({ host: '0.0.0.0', port: 8080, maxBodyBytes: 1024 });
    expect(config.webhook.secrets).toEqual([
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'whsec_b2xkc2VjcmV0LW9sZHNlY3JldC1vbGRzZWNyZXQ=',
    ]);
    expect(config.webhook.apiKeys).toEqual(['key-aaaaaaaaaaaaaaaa', 'key-bbbbbbbbbbbbbbbb']);
    expect(config.webhook.triggerStatuses).toEqual(['completed']);
    expect(config.dashboard).toEqual({ user: 'ops', password: 'hunter22-hunter22' });
    expect(config.genesys).toMatchObject({
      clientId: 'id',
      clientSecret: 'secret',
      maxRps: 2.5,
      burst: 0,
    });
    expect(config.analytics).toEqual({
      retryDelayMs: 100,
      backoffFactor: 1.5,
      maxWaitMs: 0,
      queryBufferMinutes: 0,
      defaultLookbackHours: 0.5,
      settleMs: 2500,
      requireHandled: false,
      tailMinutes: 0,
      maxWindowDays: 31,
      batch: false,
      batchWindowMs: 0,
      concurrency: 40,
    });
    expect(config.eventTimezone).toBe('Europe/Berlin');
    expect(config.inventory.url).toBe('http://inventory.local/campaigns/{campaignId}');
    expect(config.warehouse).toMatchObject({
      url: 'postgres://u:p@db/warehouse',
      table: 'analytics.campaign_reports',
    });
    expect(config.notifyUrls).toEqual([
      'https://hooks.slack.com/services/T/B/x',
      'http://localhost:9000/hook',
    ]);
    expect(config.workerConcurrency).toBe(3);
  });
});

describe('Genesys URLs', () => {
  it('derives api.* and login.* from the region', () => {
    const { genesys } = loadConfig({ GENESYS_REGION: 'mypurecloud.ie' });
    expect(genesys.apiUrl).toBe('https://api.mypurecloud.ie');
    expect(genesys.loginUrl).toBe('https://login.mypurecloud.ie');
  });

  it('lets explicit URLs win and strips a trailing slash', () => {
    const { genesys } = loadConfig({
      GENESYS_REGION: 'usw2.pure.cloud',
      GENESYS_API_URL: 'http://127.0.0.1:8787/',
      GENESYS_LOGIN_URL: 'http://127.0.0.1:8788',
    });
    expect(genesys.region).toBe('usw2.pure.cloud');
    expect(genesys.apiUrl).toBe('http://127.0.0.1:8787');
    expect(genesys.loginUrl).toBe('http://127.0.0.1:8788');
  });

  it('rejects a region that is not a domain', () => {
    expect(problemsOf({ GENESYS_REGION: 'https://api.mypurecloud.com' })).toEqual([
      'GENESYS_REGION must be a region domain such as mypurecloud.ie, got "https://api.mypurecloud.com"',
    ]);
  });
});

describe('bad values: one line per variable', () => {
  it.each([
    ['GENESYS_MAX_RPS', 'fast', 'GENESYS_MAX_RPS must be a positive number, got "fast"'],
    ['GENESYS_MAX_RPS', '0', 'GENESYS_MAX_RPS must be a positive number, got "0"'],
    ['GENESYS_MAX_RPS', '-1', 'GENESYS_MAX_RPS must be a positive number, got "-1"'],
    ['GENESYS_BURST', '1.5', 'GENESYS_BURST must be a whole number >= 0, got "1.5"'],
    ['INGEST_PORT', '70000', 'INGEST_PORT must be a port from 1 to 65535, got "70000"'],
    ['INGEST_PORT', '0', 'INGEST_PORT must be a port from 1 to 65535, got "0"'],
    ['MAX_BODY_BYTES', '1e6', 'MAX_BODY_BYTES must be a positive integer, got "1e6"'],
    ['WORKER_CONCURRENCY', 'ten', 'WORKER_CONCURRENCY must be a positive integer, got "ten"'],
    [
      'ANALYTICS_BACKOFF_FACTOR',
      '0.5',
      'ANALYTICS_BACKOFF_FACTOR must be a number >= 1, got "0.5"',
    ],
    ['ANALYTICS_MAX_WAIT_MS', '-5', 'ANALYTICS_MAX_WAIT_MS must be a whole number >= 0, got "-5"'],
    [
      'QUERY_BUFFER_MINUTES',
      'five',
      'QUERY_BUFFER_MINUTES must be a whole number >= 0, got "five"',
    ],
    ['ANALYTICS_SETTLE_MS', '1.5', 'ANALYTICS_SETTLE_MS must be a whole number >= 0, got "1.5"'],
    [
      'ANALYTICS_REQUIRE_HANDLED',
      'maybe',
      'ANALYTICS_REQUIRE_HANDLED must be true or false, got "maybe"',
    ],
    [
      'ANALYTICS_TAIL_MINUTES',
      '-1',
      'ANALYTICS_TAIL_MINUTES must be a whole number >= 0, got "-1"',
    ],
    ['DEFAULT_LOOKBACK_HOURS', '0', 'DEFAULT_LOOKBACK_HOURS must be a positive number, got "0"'],
    [
      'REDIS_URL',
      'localhost:6379',
      'REDIS_URL must be a redis:// or rediss:// URL, got "localhost:6379"',
    ],
    [
      'REDIS_CLUSTER_NODES',
      '10.0.0.1:7000,redis://10.0.0.2:7001',
      'REDIS_CLUSTER_NODES must be comma-separated host:port seeds of a Redis Cluster, got "10.0.0.1:7000,redis://10.0.0.2:7001"',
    ],
    [
      'QUEUE_PREFIX',
      'has space',
      'QUEUE_PREFIX must be 1 to 64 letters, digits, _ . : or -, got "has space"',
    ],
    [
      'LOG_LEVEL',
      'loud',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ],
    ['WEBHOOK_AUTH', 'off', 'WEBHOOK_AUTH must be one of required, none, got "off"'],
    [
      'TRIGGER_STATUSES',
      'completed,on',
      'TRIGGER_STATUSES must be a comma-separated list of completed, stopped, got "completed,on"',
    ],
    [
      'EVENT_TIMEZONE',
      'Mars/Olympus',
      'EVENT_TIMEZONE must be an IANA time zone such as Europe/Berlin, got "Mars/Olympus"',
    ],
    ['GENESYS_API_URL', 'ftp://x', 'GENESYS_API_URL must be an http(s) URL, got "ftp://x"'],
    [
      'INVENTORY_URL',
      'http://inventory/campaigns',
      'INVENTORY_URL must be an http(s) URL containing {campaignId}, got "http://inventory/campaigns"',
    ],
    [
      'WAREHOUSE_URL',
      'mysql://db/x',
      'WAREHOUSE_URL must be a postgres://, http:// or https:// URL, got "mysql://db/x"',
    ],
    [
      'WAREHOUSE_TABLE',
      'reports; drop table x',
      'WAREHOUSE_TABLE must be a table name, optionally schema-qualified (letters, digits, _), got "reports; drop table x"',
    ],
  ])('%s=%s', (name, value, line) => {
    expect(problemsOf({ [name]: value })).toEqual([line]);
  });

  it('reports several bad variables at once, in a stable order', () => {
    const err = (() => {
      try {
        loadConfig({
          GENESYS_MAX_RPS: 'fast',
          INGEST_PORT: 'x',
          LOG_LEVEL: 'loud',
          EVENT_TIMEZONE: 'Nowhere/Land',
        });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toEqual([
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      'INGEST_PORT must be a port from 1 to 65535, got "x"',
      'GENESYS_MAX_RPS must be a positive number, got "fast"',
      'EVENT_TIMEZONE must be an IANA time zone such as Europe/Berlin, got "Nowhere/Land"',
    ]);
    expect((err as ConfigError).message).toBe(problems.join('\n'));
  });

  it('runs cross-checks even when another variable is bad', () => {
    expect(
      problemsOf({ NODE_ENV: 'production', WEBHOOK_AUTH: 'none', GENESYS_MAX_RPS: 'fast' }),
    ).toEqual([
      'GENESYS_MAX_RPS must be a positive number, got "fast"',
      'WEBHOOK_AUTH must be "required" when NODE_ENV=production, got "none"',
    ]);
  });
});

describe('secrets', () => {
  it('never echoes a secret value', () => {
    const problems = problemsOf({
      WEBHOOK_SECRET: 'not-a-whsec-s3cr3t',
      WEBHOOK_API_KEYS: 'short-k3y',
      GENESYS_CLIENT_SECRET: 'cl13nt-s3cr3t',
      DASHBOARD_PASSWORD: 'p4ssw0rd',
      NOTIFY_URLS: 'https://hooks.slack.com/services/T000/B000/t0k3n,not a url',
    });
    expect(problems).toEqual([
      'WEBHOOK_SECRET must be whsec_<base64> secrets of at least 24 bytes, separated by spaces',
      'WEBHOOK_API_KEYS must be comma-separated keys of at least 16 characters',
      'DASHBOARD_PASSWORD must be at least 12 characters',
      'NOTIFY_URLS must be comma-separated http(s) URLs',
      'GENESYS_CLIENT_ID must be set together with GENESYS_CLIENT_SECRET',
    ]);
    const all = problems.join('\n');
    for (const secret of ['s3cr3t', 'short-k3y', 'p4ssw0rd', 't0k3n'])
      expect(all).not.toContain(secret);
  });

  it('masks credentials inside an echoed URL', () => {
    expect(problemsOf({ WAREHOUSE_URL: 'mysql://admin:pa55@db:3306/x' })).toEqual([
      'WAREHOUSE_URL must be a postgres://, http:// or https:// URL, got "mysql://***@db:3306/x"',
    ]);
  });
});

describe('cross-checks', () => {
  it('refuses WEBHOOK_AUTH=none in production', () => {
    expect(problemsOf({ WEBHOOK_AUTH: 'none', NODE_ENV: 'production' })).toEqual([
      'WEBHOOK_AUTH must be "required" when NODE_ENV=production, got "none"',
    ]);
  });

  it('allows WEBHOOK_AUTH=none outside production', () => {
    expect(loadConfig({ WEBHOOK_AUTH: 'NONE', NODE_ENV: 'development' }).webhook.auth).toBe('none');
  });

  it('wants dashboard user and password together', () => {
    // The line names the variable that is missing.
    expect(problemsOf({ DASHBOARD_USER: 'ops' })).toEqual([
      'DASHBOARD_PASSWORD must be set together with DASHBOARD_USER',
    ]);
    expect(problemsOf({ DASHBOARD_PASSWORD: 'a-long-enough-pw' })).toEqual([
      'DASHBOARD_USER must be set together with DASHBOARD_PASSWORD',
    ]);
  });

  it('refuses weak credentials in one line each, without echoing them (issue 13)', () => {
    expect(problemsOf({ DASHBOARD_USER: 'ops', DASHBOARD_PASSWORD: 'b' })).toEqual([
      'DASHBOARD_PASSWORD must be at least 12 characters',
    ]);
    expect(problemsOf({ WEBHOOK_SECRET: 'whsec_AA==' })).toEqual([
      'WEBHOOK_SECRET must be whsec_<base64> secrets of at least 24 bytes, separated by spaces',
    ]);
    // exactly 24 bytes and 12 characters pass
    const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
    expect(
      loadConfig({
        WEBHOOK_SECRET: secret,
        DASHBOARD_USER: 'ops',
        DASHBOARD_PASSWORD: 'x'.repeat(12),
      }).webhook.secrets,
    ).toEqual([secret]);
  });

  it('reads PUBLIC_URL without its trailing slash, and refuses one with a query or fragment', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://wrapup.example.com/ops/' }).publicUrl).toBe(
      'https://wrapup.example.com/ops',
    );
    expect(loadConfig({ PUBLIC_URL: ' ' }).publicUrl).toBeUndefined();
    for (const bad of [
      'wrapup.example.com',
      'ftp://x.example',
      'https://x.example/?a=1',
      'https://x.example/#top',
    ])
      expect(problemsOf({ PUBLIC_URL: bad }), bad).toEqual([
        `PUBLIC_URL must be an http(s) URL without a query or fragment, got "${bad}"`,
      ]);
  });

  it('reads the security and transport variables (issue 13)', () => {
    const config = loadConfig({
      ADMIN_PORT: '3001',
      DASHBOARD_READ_ONLY: 'false',
      TLS_CERT_FILE: '/etc/wrapup/cert.pem',
      TLS_KEY_FILE: '/etc/wrapup/key.pem',
      BODY_READ_TIMEOUT_MS: '2000',
      MAX_UNVERIFIED_BODIES: '8',
      EVENT_MAX_AGE_DAYS: '7',
      EVENT_MAX_FUTURE_SECONDS: '60',
      MAX_WINDOW_DAYS: '14',
    });
    expect(config.ingest).toMatchObject({
      adminPort: 3001,
      bodyReadTimeoutMs: 2000,
      maxUnverifiedBodies: 8,
      tls: { certFile: '/etc/wrapup/cert.pem', keyFile: '/etc/wrapup/key.pem' },
    });
    expect(config.dashboardReadOnly).toBe(false);
    expect(config.events).toEqual({ maxAgeDays: 7, maxFutureSeconds: 60 });
    expect(config.analytics.maxWindowDays).toBe(14);
    expect(problemsOf({ TLS_CERT_FILE: '/c.pem' })).toEqual([
      'TLS_KEY_FILE must be set together with TLS_CERT_FILE',
    ]);
    expect(problemsOf({ ADMIN_PORT: '3000' })).toEqual([
      'ADMIN_PORT must differ from INGEST_PORT, got 3000',
    ]);
    expect(problemsOf({ ADMIN_PORT: '70000' })).toEqual([
      'ADMIN_PORT must be a port from 1 to 65535, got "70000"',
    ]);
  });

  it('wants Genesys client id and secret together', () => {
    expect(problemsOf({ GENESYS_CLIENT_ID: 'abc' })).toEqual([
      'GENESYS_CLIENT_SECRET must be set together with GENESYS_CLIENT_ID',
    ]);
  });

  it('refuses both inventory sources', () => {
    expect(
      problemsOf({ INVENTORY_URL: 'http://inv/{campaignId}', INVENTORY_FILE: './inventory.json' }),
    ).toEqual(['INVENTORY_FILE must not be set together with INVENTORY_URL']);
  });
});

describe('loadConfigOrExit', () => {
  it('prints one line per problem and exits 1', () => {
    const lines: string[] = [];
    const spy = vi
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    let code: number | undefined;
    try {
      expect(() =>
        loadConfigOrExit({ GENESYS_MAX_RPS: 'fast', INGEST_PORT: '-1' }, (c) => {
          code = c;
          throw new Error('exited');
        }),
      ).toThrow('exited');
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(1);
    expect(lines).toEqual([
      'config error: INGEST_PORT must be a port from 1 to 65535, got "-1"\n',
      'config error: GENESYS_MAX_RPS must be a positive number, got "fast"\n',
    ]);
  });

  it('returns the config when it is valid', () => {
    expect(loadConfigOrExit({ QUEUE_PREFIX: 'x' }).queuePrefix).toBe('x');
  });
});

describe('durations (FINAL_REPORT_AFTER)', () => {
  it('reads hours, minutes, seconds and milliseconds; 0 turns it off', () => {
    expect(parseDuration('50h')).toBe(180_000_000);
    expect(parseDuration('90m')).toBe(5_400_000);
    expect(parseDuration('20s')).toBe(20_000);
    expect(parseDuration('1500ms')).toBe(1500);
    expect(parseDuration('0')).toBe(0);
    expect(loadConfig({ FINAL_REPORT_AFTER: '0' }).finalReportAfterMs).toBe(0);
    expect(loadConfig({ FINAL_REPORT_AFTER: '2d' }).finalReportAfterMs).toBe(172_800_000);
  });

  it('refuses a bare number or an unknown unit with one line naming the variable', () => {
    expect(parseDuration('50')).toBeUndefined();
    expect(() => loadConfig({ FINAL_REPORT_AFTER: '50 hours' })).toThrow(
      /^FINAL_REPORT_AFTER must be a duration such as 50h, 90m, 20s or 1500ms \(0 turns it off\), got "50 hours"$/,
    );
    expect(() => loadConfig({ GENESYS_EVENT_SOURCE: 'kafka' })).toThrow(
      /^GENESYS_EVENT_SOURCE must be one of webhook, websocket, got "kafka"$/,
    );
  });
});

describe('run retention (RUN_RETENTION_HOURS)', () => {
  it('must outlive the event horizon and the final re-check', () => {
    expect(() => loadConfig({ RUN_RETENTION_HOURS: '168' })).toThrow(
      /^RUN_RETENTION_HOURS must be at least 720 \(EVENT_MAX_AGE_DAYS × 24 and FINAL_REPORT_AFTER: .*\), got "168"$/,
    );
    expect(() =>
      loadConfig({
        RUN_RETENTION_HOURS: '100',
        EVENT_MAX_AGE_DAYS: '2',
        FINAL_REPORT_AFTER: '200h',
      }),
    ).toThrow(/^RUN_RETENTION_HOURS must be at least 200 /);
    expect(
      loadConfig({ RUN_RETENTION_HOURS: '168', EVENT_MAX_AGE_DAYS: '7' }).runRetentionHours,
    ).toBe(168);
  });
});

describe('ABANDON_RATE_LIMIT', () => {
  it('is a fraction from 0 to 1; 0 turns the compliance check off', () => {
    expect(loadConfig({ ABANDON_RATE_LIMIT: '0.05' }).abandonRateLimit).toBe(0.05);
    expect(loadConfig({ ABANDON_RATE_LIMIT: '0' }).abandonRateLimit).toBe(0);
    for (const bad of ['3%', '-0.01', '1.5'])
      expect(problemsOf({ ABANDON_RATE_LIMIT: bad }), bad).toEqual([
        `ABANDON_RATE_LIMIT must be a fraction from 0 to 1 (0.03 = 3%; 0 turns the check off), got "${bad}"`,
      ]);
  });
});
