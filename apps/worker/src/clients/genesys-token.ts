import * as v from 'valibot';
import { errorFromResponse, safeJson, sendWithRetry, type HttpPolicy, type HttpRequest } from './genesys-http';
import { GenesysError } from './genesys-errors';
import { TokenResponseSchema } from './genesys-schemas';

export interface TokenSourceOptions {
  loginUrl: string;
  clientId: string;
  clientSecret: string;
  policy: HttpPolicy;
  now?: () => number;
}

export interface TokenSource {
  /** A valid access token: the cached one, or a new one (one request however many callers wait). */
  get(): Promise<string>;
  /** Forgets `token` if it is still the cached one (after a 401), so the next get() fetches anew. */
  invalidate(token: string): void;
}

/** Renew this long before `expires_in` runs out: 10% of the lifetime, at most 60 s. */
export const renewMarginMs = (ttlMs: number) => Math.min(60_000, ttlMs * 0.1);

/** OAuth client credentials: one token per process, renewed before expiry, single-flight. */
export function createTokenSource(opts: TokenSourceOptions): TokenSource {
  const now = opts.now ?? Date.now;
  let cached: { token: string; renewAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  const request: HttpRequest = {
    method: 'POST',
    url: `${opts.loginUrl}/oauth/token`,
    headers: {
      authorization: `Basic ${Buffer.from(`${opts.clientId}:${opts.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    idempotent: true,
    what: 'POST /oauth/token',
  };

  async function fetchToken(): Promise<string> {
    const askedAt = now();
    const res = await sendWithRetry(request, opts.policy);
    if (res.status !== 200) {
      // 400/401: wrong client id or secret, no point retrying
      throw errorFromResponse(request, res);
    }
    const parsed = v.safeParse(TokenResponseSchema, safeJson(res.body));
    if (!parsed.success) {
      throw new GenesysError(`POST /oauth/token answered 200 without a usable token`, {
        status: 200,
        code: 'bad_response',
        correlationId: res.correlationId,
        retryable: true,
      });
    }
    const ttlMs = parsed.output.expires_in * 1000;
    cached = { token: parsed.output.access_token, renewAt: askedAt + ttlMs - renewMarginMs(ttlMs) };
    opts.policy.logger.debug({ expiresInS: parsed.output.expires_in, correlationId: res.correlationId }, 'genesys token obtained');
    return cached.token;
  }

  return {
    get() {
      if (cached && now() < cached.renewAt) return Promise.resolve(cached.token);
      inflight ??= fetchToken().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}
