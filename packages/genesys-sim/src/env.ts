import type { SimOptions } from './options';

/** A SIM_* variable that does not parse; the message is one line naming it. */
export class SimEnvError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'SimEnvError';
  }
}

type Env = Record<string, string | undefined>;

function int(
  env: Env,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw.trim()))
    throw new SimEnvError(name, `must be an integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new SimEnvError(name, `must be from ${min} to ${max}, got ${n}`);
  return n;
}

function text(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  if (raw.trim() === '') throw new SimEnvError(name, 'must not be empty');
  return raw.trim();
}

/** Reads the simulator's settings from SIM_* variables (pure; throws SimEnvError). */
export function readSimEnv(env: Env): SimOptions & { port: number } {
  const opts: SimOptions & { port: number } = { port: int(env, 'SIM_PORT', 0, 65535) ?? 8787 };
  const host = text(env, 'SIM_HOST');
  const clientId = text(env, 'SIM_CLIENT_ID');
  const clientSecret = text(env, 'SIM_CLIENT_SECRET');
  const analyticsLagMs = int(env, 'SIM_ANALYTICS_LAG_MS', 0);
  const analyticsLagJitterMs = int(env, 'SIM_ANALYTICS_LAG_JITTER_MS', 0);
  const rateLimitPerMinute = int(env, 'SIM_RATE_LIMIT_PER_MINUTE', 1);
  const tokenTtlSeconds = int(env, 'SIM_TOKEN_TTL_SECONDS', 1);
  const seed = int(env, 'SIM_SEED', 0, 2 ** 32 - 1);
  const requestLogLimit = int(env, 'SIM_REQUEST_LOG_LIMIT', 0, 10_000_000);
  if (host !== undefined) opts.host = host;
  if (clientId !== undefined) opts.clientId = clientId;
  if (clientSecret !== undefined) opts.clientSecret = clientSecret;
  if (analyticsLagMs !== undefined) opts.analyticsLagMs = analyticsLagMs;
  if (analyticsLagJitterMs !== undefined) opts.analyticsLagJitterMs = analyticsLagJitterMs;
  if (rateLimitPerMinute !== undefined) opts.rateLimitPerMinute = rateLimitPerMinute;
  if (tokenTtlSeconds !== undefined) opts.tokenTtlSeconds = tokenTtlSeconds;
  if (seed !== undefined) opts.seed = seed;
  if (requestLogLimit !== undefined) opts.requestLogLimit = requestLogLimit;
  return opts;
}
