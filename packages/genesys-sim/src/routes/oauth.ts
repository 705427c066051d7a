import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import type { SimEnv } from '../http';
import { tooManyRequests } from '../middleware';
import type { SimState } from '../model/state';
import type { SlidingWindowLimiter } from '../rate-limit';

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const m = header === undefined ? null : /^Basic\s+(\S+)$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

const oauthError = (error: string, description: string) => ({
  error,
  description,
  error_description: description,
});

/** `POST /oauth/token`: the client-credentials grant with HTTP Basic client authentication. */
export function oauthRoutes(state: SimState, limiter: SlidingWindowLimiter): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  app.post('/token', async (c) => {
    const creds = basicCredentials(c.req.header('authorization'));
    if (!creds || creds.id !== state.clientId || creds.secret !== state.clientSecret)
      return c.json(oauthError('invalid_client', 'client not found'), 401);

    const taken = limiter.take(
      `client:${creds.id}`,
      state.settings.tokenRateLimitPerMinute,
      state.now(),
    );
    if (!taken.ok) return tooManyRequests(c, state, taken.retryAfterMs);

    const type = c.req.header('content-type') ?? '';
    if (type !== '' && !type.toLowerCase().startsWith('application/x-www-form-urlencoded'))
      return c.json(
        oauthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded'),
        400,
      );
    const form = new URLSearchParams(await c.req.text());
    const grant = form.get('grant_type');
    if (grant === null) return c.json(oauthError('invalid_request', 'grant_type is required'), 400);
    if (grant !== 'client_credentials')
      return c.json(oauthError('unsupported_grant_type', `unsupported grant type ${grant}`), 400);

    const token = randomBytes(32).toString('base64url');
    const now = state.now();
    const ttl = state.settings.tokenTtlSeconds;
    state.tokens.set(token, { clientId: creds.id, issuedAtMs: now, expiresAtMs: now + ttl * 1000 });
    return c.json({ access_token: token, token_type: 'bearer', expires_in: ttl });
  });
  return app;
}
