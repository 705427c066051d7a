import * as v from 'valibot';
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

/** An integer from `min` to `max`; unset or empty is undefined. */
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  v.pipe(
    v.optional(v.string()),
    v.check(
      (s) => s === undefined || s === '' || /^\d+$/.test(s.trim()),
      (issue) => `must be an integer, got ${JSON.stringify(issue.input)}`,
    ),
    v.transform((s) => (s === undefined || s === '' ? undefined : Number(s.trim()))),
    v.check(
      (n) => n === undefined || (n >= min && n <= max),
      (issue) => `must be from ${min} to ${max}, got ${String(issue.input)}`,
    ),
  );

/** Trimmed text; unset is undefined, blank is an error. */
const text = () => v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty('must not be empty')));

/** Every SIM_* variable; unknown variables are ignored. */
const SimEnvSchema = v.object({
  SIM_PORT: int(0, 65535),
  SIM_HOST: text(),
  SIM_CLIENT_ID: text(),
  SIM_CLIENT_SECRET: text(),
  SIM_ANALYTICS_LAG_MS: int(0),
  SIM_ANALYTICS_LAG_JITTER_MS: int(0),
  SIM_RATE_LIMIT_PER_MINUTE: int(1),
  SIM_TOKEN_TTL_SECONDS: int(1),
  SIM_SEED: int(0, 2 ** 32 - 1),
  SIM_REQUEST_LOG_LIMIT: int(0, 10_000_000),
});

/** Reads the simulator's settings from SIM_* variables (pure; throws SimEnvError). */
export function readSimEnv(env: Env): SimOptions & { port: number } {
  const result = v.safeParse(SimEnvSchema, env);
  if (!result.success) {
    const [issue] = result.issues;
    throw new SimEnvError(v.getDotPath(issue) ?? 'SIM_*', issue.message);
  }
  const e = result.output;
  const opts: SimOptions & { port: number } = {
    port: e.SIM_PORT ?? 8787,
    host: e.SIM_HOST,
    clientId: e.SIM_CLIENT_ID,
    clientSecret: e.SIM_CLIENT_SECRET,
    analyticsLagMs: e.SIM_ANALYTICS_LAG_MS,
    analyticsLagJitterMs: e.SIM_ANALYTICS_LAG_JITTER_MS,
    rateLimitPerMinute: e.SIM_RATE_LIMIT_PER_MINUTE,
    tokenTtlSeconds: e.SIM_TOKEN_TTL_SECONDS,
    seed: e.SIM_SEED,
    requestLogLimit: e.SIM_REQUEST_LOG_LIMIT,
  };
  // Unset variables leave their option out, so the simulator's own defaults apply.
  for (const key of Object.keys(opts) as (keyof typeof opts)[])
    if (opts[key] === undefined) delete opts[key];
  return opts;
}
