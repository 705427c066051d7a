import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MiddlewareHandler } from 'hono';
import { genesysError, type SimContext, type SimEnv } from './http';
import type { SimState } from './model/state';
import type { SlidingWindowLimiter } from './rate-limit';
import type { Random } from './random';

export const CORRELATION_HEADER = 'ININ-Correlation-ID';

export const tokenHash = (token: string): string =>
  createHash('sha256').update(token).digest('hex').slice(0, 12);

export function bearer(c: SimContext): string | undefined {
  const header = c.req.header('authorization');
  const m = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
  return m?.[1];
}

const isLogged = (path: string): boolean => path.startsWith('/api/') || path.startsWith('/oauth/');

/** Sets ININ-Correlation-ID on every answer and logs /api and /oauth requests. */
export function correlationAndLog(state: SimState): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    const correlationId = randomUUID();
    const started = state.now();
    const startedReal = performance.now();
    c.set('correlationId', correlationId);
    c.header(CORRELATION_HEADER, correlationId);
    const token = bearer(c);
    c.set('tokenHash', token === undefined ? null : tokenHash(token));
    await next();
    if (!isLogged(c.req.path)) return;
    const fault = c.get('fault');
    state.logRequest({
      method: c.req.method,
      path: c.req.path,
      token: c.get('tokenHash'),
      time: new Date(started).toISOString(),
      status: fault === 'drop' ? 0 : c.res.status,
      correlationId,
      durationMs: Math.round(performance.now() - startedReal),
      ...(fault ? { fault } : {}),
    });
  };
}

const ERROR_CODES: Record<number, string> = {
  500: 'internal.server.error',
  502: 'bad.gateway',
  503: 'service.unavailable',
  504: 'gateway.timeout',
};

/** Injected latency, dropped connections and 5xx answers, as configured right now. */
export function faults(
  state: SimState,
  rng: Random,
  scope: 'api' | 'token',
): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    const f = state.settings.faults;
    if (scope === 'token' && !f.includeToken) return next();
    if (f.latencyMs && f.latencyMs > 0) await sleep(f.latencyMs);
    const drop = (f.dropNext ?? 0) > 0 || (f.dropRate !== undefined && rng.next() < f.dropRate);
    if (drop) {
      if ((f.dropNext ?? 0) > 0) f.dropNext = (f.dropNext ?? 0) - 1;
      c.set('fault', 'drop');
      c.env.incoming.socket.destroy();
      return c.body(null, 500);
    }
    const fail = (f.failNext ?? 0) > 0 || (f.errorRate !== undefined && rng.next() < f.errorRate);
    if (fail) {
      if ((f.failNext ?? 0) > 0) f.failNext = (f.failNext ?? 0) - 1;
      const status = f.errorStatus ?? 503;
      c.set('fault', 'error');
      return genesysError(
        c,
        status,
        ERROR_CODES[status] ?? 'internal.server.error',
        'The service is currently unavailable. Please try again later.',
      );
    }
    return next();
  };
}

/** Bearer token check for /api/v2: missing, unknown or expired tokens get 401. */
export function requireToken(state: SimState): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    const token = bearer(c);
    if (token === undefined)
      return genesysError(
        c,
        401,
        'authentication.required',
        'No authentication bearer token specified in authorization header.',
      );
    const issued = state.tokens.get(token);
    if (!issued || issued.expiresAtMs <= state.now())
      return genesysError(c, 401, 'bad.credentials', 'Invalid login credentials.');
    return next();
  };
}

/** The answer to a request over the limit: 429 with the platform's body and Retry-After. */
export function tooManyRequests(c: SimContext, state: SimState, retryAfterMs: number): Response {
  const seconds = state.settings.retryAfterSeconds ?? Math.max(1, Math.ceil(retryAfterMs / 1000));
  if (state.settings.retryAfterHeader) c.header('Retry-After', String(seconds));
  return genesysError(
    c,
    429,
    'too.many.requests.retry.after',
    `Rate limit exceeded the maximum. Retry the request in [${seconds}] seconds`,
  );
}

/** 300 requests per minute per token by default (sliding 60 s window). */
export function rateLimit(
  state: SimState,
  limiter: SlidingWindowLimiter,
): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    const key = c.get('tokenHash') ?? 'anonymous';
    const taken = limiter.take(key, state.settings.rateLimitPerMinute, state.now());
    if (!taken.ok) return tooManyRequests(c, state, taken.retryAfterMs);
    return next();
  };
}
