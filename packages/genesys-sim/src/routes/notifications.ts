import { Hono } from 'hono';
import { genesysError, type SimContext, type SimEnv } from '../http';
import { bearer } from '../middleware';
import type { SimState } from '../model/state';
import type { ChannelOwner } from '../notifications';

/** Who calls: the client of the (already checked) bearer token and the token's short hash. */
function owner(c: SimContext, state: SimState): ChannelOwner {
  const token = bearer(c);
  const issued = token === undefined ? undefined : state.tokens.get(token);
  return { clientId: issued?.clientId ?? '', tokenHash: c.get('tokenHash') ?? '' };
}

/** `ws://` + the Host the request came to (the platform answers its own streaming host). */
function wsBase(c: SimContext): string | undefined {
  const host = c.req.header('host');
  return host ? `ws://${host}` : undefined;
}

function channelNotFound(c: SimContext, id: string): Response {
  return genesysError(c, 404, 'not.found', `Channel ${id} not found`);
}

async function jsonOrUndefined(c: SimContext): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The Notification API, mounted at `/api/v2/notifications` (token, faults and rate limit as every
 * `/api/v2` route). What the platform does and how sure we are: see notifications.ts.
 */
export function notificationRoutes(state: SimState): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  const hub = state.notifications;

  app.post('/channels', (c) => c.json(hub.create(owner(c, state), wsBase(c))));

  app.get('/channels', (c) => {
    const include = c.req.query('includechannels') ?? 'token';
    if (include !== 'token' && include !== 'oauthclient')
      return genesysError(c, 400, 'bad.request', 'includechannels must be token or oauthclient');
    return c.json({ entities: hub.list(owner(c, state), include, wsBase(c)) });
  });

  // Only HEAD exists for one channel (SDK `headNotificationsChannel`); Hono routes HEAD to GET
  // handlers, so a real GET is answered as the platform's missing route.
  app.get('/channels/:id', (c) => {
    const id = c.req.param('id');
    if (c.req.method !== 'HEAD')
      return genesysError(c, 404, 'not.found', `Resource not found: GET ${c.req.path}`);
    return hub.exists(id, owner(c, state)) ? c.body(null, 200) : channelNotFound(c, id);
  });

  app.get('/channels/:id/subscriptions', (c) => {
    const id = c.req.param('id');
    const topics = hub.subscriptions(id, owner(c, state));
    if (!topics) return channelNotFound(c, id);
    return c.json({ entities: topics.map((t) => ({ id: t })) });
  });

  const subscribe = (replace: boolean) => async (c: SimContext) => {
    const id = c.req.param('id') ?? '';
    const result = hub.subscribe(id, owner(c, state), await jsonOrUndefined(c), replace);
    if (result.ok) return c.json({ entities: result.topics.map((t) => ({ id: t })) });
    switch (result.reason) {
      case 'not-found':
        return channelNotFound(c, id);
      case 'invalid':
        return genesysError(c, 400, 'bad.request', result.message);
      case 'topic-limit':
        return genesysError(
          c,
          400,
          'bad.request',
          `Channel ${id} would have ${result.count} topics; a channel is limited to ${result.limit} topics`,
        );
    }
  };
  app.post('/channels/:id/subscriptions', subscribe(false));
  app.put('/channels/:id/subscriptions', subscribe(true));

  app.delete('/channels/:id/subscriptions', (c) => {
    const id = c.req.param('id');
    return hub.unsubscribeAll(id, owner(c, state)) ? c.body(null, 200) : channelNotFound(c, id);
  });

  return app;
}
