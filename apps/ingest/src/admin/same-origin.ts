import type { MiddlewareHandler } from 'hono';

/** Methods that change nothing, so a cross-site request for them does no harm. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface RequestView {
  method: string;
  /** The request URL as the server sees it (scheme from the socket, authority from Host). */
  url: string;
  header(name: string): string | undefined;
}

/** scheme://host[:port] this request was addressed to, default port dropped, or undefined if unparsable. */
function ownOrigin(req: RequestView): string | undefined {
  try {
    const { protocol, origin } = new URL(req.url);
    const host = req.header('host');
    return host ? new URL(`${protocol}//${host}`).origin : origin;
  } catch {
    return undefined;
  }
}

/**
 * Whether a state-changing admin request may have been sent by a page of another site. Browsers
 * attach cached Basic credentials to cross-site form posts, so this, not the password, is what
 * stops a page the operator visits from replaying campaigns or retrying jobs in their name.
 *
 * - `Sec-Fetch-Site` (every current browser sends it, and pages cannot forge it) decides when
 *   present: only `same-origin` passes. `same-site` is a sibling subdomain, not us; `cross-site`
 *   is another site; `none` is a user-initiated navigation (typed URL, bookmark), and nobody types
 *   a POST, so a write with `none` is refused too. Unknown values are refused.
 * - Without it (older browsers, curl), an `Origin` header must equal our own origin: the scheme
 *   the server sees and the Host header the client sent. `Origin: null` (sandboxed frames,
 *   file: pages, privacy redirects) never matches.
 * - With neither header the request is allowed: it comes from a non-browser client (curl, a
 *   script, the simulator's tooling), and such a client holds the credentials itself, so there is
 *   nobody to trick. Browsers that send neither on a cross-site write are pre-2019 ones, and only
 *   as HTML form posts, which always carry a form or text content type: `jsonOrEmptyBody` below
 *   refuses those, so that gap is closed as well.
 */
export function isCrossSiteWrite(req: RequestView): boolean {
  if (SAFE_METHODS.has(req.method)) return false;
  const site = req.header('sec-fetch-site');
  if (site !== undefined) return site.trim().toLowerCase() !== 'same-origin';
  const origin = req.header('origin');
  if (origin === undefined) return false;
  const own = ownOrigin(req);
  try {
    return own === undefined || new URL(origin).origin !== own;
  } catch {
    return true;
  }
}

/**
 * A write must carry JSON or nothing: a body needs `content-type: application/json`, and a
 * content type, if sent, must be that one even with an empty body (an empty HTML form still sends
 * `application/x-www-form-urlencoded`). Bodyless writes (replay, Bull Board's own retry and clean
 * buttons, which PUT without a body or content type) pass.
 */
export function jsonOrEmptyBody(req: RequestView): boolean {
  if (SAFE_METHODS.has(req.method)) return true;
  const type = req.header('content-type');
  if (type !== undefined) return type.split(';')[0]?.trim().toLowerCase() === 'application/json';
  const length = req.header('content-length');
  const hasBody =
    req.header('transfer-encoding') !== undefined || (length !== undefined && Number(length) !== 0);
  return !hasBody;
}

/**
 * Refuses admin writes from another origin (403 `cross_site_request`) and writes whose body is
 * not JSON (415). Reads (GET, HEAD, OPTIONS) always pass. Mount it on every admin route, after
 * authentication.
 */
export function sameOriginWrites(): MiddlewareHandler {
  return async (c, next) => {
    const req: RequestView = {
      method: c.req.method,
      url: c.req.url,
      header: (name) => c.req.header(name),
    };
    if (isCrossSiteWrite(req)) return c.json({ error: 'cross_site_request' }, 403);
    if (!jsonOrEmptyBody(req))
      return c.json({ error: 'unsupported_media_type', expected: 'application/json' }, 415);
    await next();
  };
}
