import type { MiddlewareHandler } from 'hono';
import { sameSecret, secretDigest } from './constant-time';

/**
 * HTTP Basic auth for the admin surface. User and password are both compared (constant-time,
 * on SHA-256 digests) before deciding, so a wrong user costs as long as a wrong password.
 */
export function basicAuth(credentials: { user: string; password: string }, realm = 'wrapup admin'): MiddlewareHandler {
  const user = secretDigest(credentials.user);
  const password = secretDigest(credentials.password);
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
    let ok = false;
    if (match?.[1]) {
      const decoded = Buffer.from(match[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) {
        const userOk = sameSecret(decoded.slice(0, colon), user);
        const passwordOk = sameSecret(decoded.slice(colon + 1), password);
        ok = userOk && passwordOk;
      }
    }
    if (!ok) {
      return c.json({ error: 'unauthorized' }, 401, { 'www-authenticate': `Basic realm="${realm}", charset="UTF-8"` });
    }
    await next();
  };
}
