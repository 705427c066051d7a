import type { Got } from 'got';
import * as v from 'valibot';
import { GenesysError } from './errors';
import { correlationIdOf, errorFromResponse, safeJson, send, type GenesysLogger } from './http';
import { TokenResponseSchema } from './schemas';
import {
  createSharedTokenStore,
  type SharedEntry,
  type SharedTokenOptions,
  type TokenEntry,
} from './shared-token';

export interface TokenSourceOptions {
  loginUrl: string;
  clientId: string;
  clientSecret: string;
  /** From createGenesysHttp: rate limited and retried like every other call. */
  http: Got;
  logger: GenesysLogger;
  now?: () => number;
  /**
   * Share the token with every process on the same Redis and prefix (shared-token.ts): encrypted
   * under the client secret, fetched by one process at a time. Without it: one token per process.
   */
  shared?: SharedTokenOptions | undefined;
}

export interface TokenSource {
  /** A valid access token: the cached one, or a new one (one request however many callers wait). */
  get(): Promise<string>;
  /** Forgets `token` if it is still the cached one (after a 401), so the next get() fetches anew. */
  invalidate(token: string): void;
}

/** Renew this long before `expires_in` runs out: 10% of the lifetime, at most 60 s. */
export const renewMarginMs = (ttlMs: number) => Math.min(60_000, ttlMs * 0.1);

/**
 * OAuth client credentials: one token, renewed before expiry, single-flight; with `shared`, one
 * token for every process on that Redis (read from there first, fetched by one process at a time),
 * else one per process.
 */
export function createTokenSource(opts: TokenSourceOptions): TokenSource {
  const now = opts.now ?? Date.now;
  let cached: SharedEntry | undefined;
  let inflight: Promise<string> | undefined;
  // the token a 401 refused last: never taken from Redis again
  let refused: string | undefined;
  // the compare-and-delete of a refused token's shared copy, awaited before the next read
  let discarding: Promise<void> | undefined;
  const shared =
    opts.shared &&
    createSharedTokenStore({
      ...opts.shared,
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      logger: opts.logger,
      now,
    });

  const what = 'POST /oauth/token';
  const request = {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${opts.clientId}:${opts.clientSecret}`).toString('base64')}`,
      accept: 'application/json',
    },
    form: { grant_type: 'client_credentials' },
  } as const;

  async function fetchToken(): Promise<TokenEntry> {
    const askedAt = now();
    const res = await send(opts.http, what, `${opts.loginUrl}/oauth/token`, request, opts.logger);
    // 400/401: wrong client id or secret, no point retrying (retryable false)
    if (res.statusCode !== 200) throw errorFromResponse(what, res);
    const parsed = v.safeParse(TokenResponseSchema, safeJson(res.body));
    if (!parsed.success) {
      throw new GenesysError(`${what} answered 200 without a usable token`, {
        status: 200,
        code: 'bad_response',
        correlationId: correlationIdOf(res),
        retryable: true,
      });
    }
    const ttlMs = parsed.output.expires_in * 1000;
    opts.logger.debug(
      { expiresInS: parsed.output.expires_in, correlationId: correlationIdOf(res) },
      'genesys token obtained',
    );
    return { token: parsed.output.access_token, renewAt: askedAt + ttlMs - renewMarginMs(ttlMs) };
  }

  async function obtain(): Promise<string> {
    if (shared) {
      await discarding;
      cached = await shared.obtain(fetchToken, refused);
    } else {
      cached = await fetchToken();
    }
    return cached.token;
  }

  return {
    get() {
      if (cached && now() < cached.renewAt) return Promise.resolve(cached.token);
      inflight ??= obtain().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
    invalidate(token) {
      refused = token;
      if (cached?.token !== token) return;
      const stored = cached.stored;
      cached = undefined;
      if (shared && stored !== undefined) discarding = shared.discard(stored);
    },
  };
}
