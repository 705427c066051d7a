import { randomBytes } from 'node:crypto';

export type Env = Record<string, string | undefined>;

/** Where the bundled simulator listens and the client it accepts. */
export interface SimTarget {
  url: string;
  clientId: string;
  clientSecret: string;
}

/** Credentials `pnpm start` made up because the user set none (kept across restarts). */
export interface Generated {
  apiKey?: string;
  dashboardPassword?: string;
}

export interface DevEnv {
  /** The user's environment with the demo defaults filled in underneath. */
  env: Env;
  /** What was generated this time (a subset of `reuse` when that was given). */
  generated: Generated;
}

const isSet = (value: string | undefined): value is string =>
  value !== undefined && value.trim() !== '';

export const generateApiKey = () => `wk_${randomBytes(24).toString('base64url')}`;
export const generatePassword = () => randomBytes(12).toString('base64url');

/**
 * Layers the defaults of `pnpm start` UNDER the user's environment: anything the user set wins.
 * With a simulator, Genesys points at it; without webhook auth a key is generated; without
 * dashboard credentials `admin` and a generated password; short analytics waits and settle time for a snappy demo;
 * with the simulator, the Notification API listener (GENESYS_EVENT_SOURCE=websocket);
 * `warn` logs so the banner stays readable. Pure apart from the random generators.
 */
export function layerDevEnv(
  user: Env,
  opts: {
    sim?: SimTarget;
    reuse?: Generated;
    newApiKey?: () => string;
    newPassword?: () => string;
  } = {},
): DevEnv {
  const defaults: Env = {
    LOG_LEVEL: 'warn',
    ANALYTICS_RETRY_DELAY_MS: '2000',
    // the demo's analytics are all visible at start: two checks 2 s apart settle them
    ANALYTICS_SETTLE_MS: '2000',
    ANALYTICS_MAX_WAIT_MS: '60000',
  };
  const generated: Generated = {};
  if (opts.sim) {
    defaults.GENESYS_API_URL = opts.sim.url;
    defaults.GENESYS_LOGIN_URL = opts.sim.url;
    defaults.GENESYS_CLIENT_ID = opts.sim.clientId;
    defaults.GENESYS_CLIENT_SECRET = opts.sim.clientSecret;
    // the simulator serves the Notification API: finishes arrive over its WebSocket too
    defaults.GENESYS_EVENT_SOURCE = 'websocket';
  }
  if (!isSet(user.WEBHOOK_SECRET) && !isSet(user.WEBHOOK_API_KEYS)) {
    generated.apiKey = opts.reuse?.apiKey ?? (opts.newApiKey ?? generateApiKey)();
    defaults.WEBHOOK_API_KEYS = generated.apiKey;
  }
  if (!isSet(user.DASHBOARD_USER)) defaults.DASHBOARD_USER = 'admin';
  if (!isSet(user.DASHBOARD_PASSWORD)) {
    generated.dashboardPassword =
      opts.reuse?.dashboardPassword ?? (opts.newPassword ?? generatePassword)();
    defaults.DASHBOARD_PASSWORD = generated.dashboardPassword;
  }

  const env: Env = { ...user };
  for (const [name, value] of Object.entries(defaults)) if (!isSet(user[name])) env[name] = value;
  return { env, generated };
}

/** True when the user brought their own Genesys client (then no simulator is started). */
export const usesOwnGenesys = (user: Env) => isSet(user.GENESYS_CLIENT_ID);

/** SIM_PORT (default 8787), or a one-line problem. */
export function simPort(user: Env): number | string {
  const raw = user.SIM_PORT?.trim();
  if (!raw) return 8787;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535)
    return `SIM_PORT must be a port from 0 to 65535, got ${JSON.stringify(raw)}`;
  return Number(raw);
}
