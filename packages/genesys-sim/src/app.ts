import { Hono } from 'hono';
import { createControl, type Control } from './control';
import { genesysError, type SimEnv } from './http';
import { correlationAndLog, faults, rateLimit, requireToken } from './middleware';
import { SimError, type SimState } from './model/state';
import { createRandom } from './random';
import { SlidingWindowLimiter } from './rate-limit';
import { analyticsRoutes } from './routes/analytics';
import { campaignRoutes } from './routes/campaigns';
import { controlRoutes } from './routes/control';
import { notificationRoutes } from './routes/notifications';
import { oauthRoutes } from './routes/oauth';
import { outboundSettingsRoutes } from './routes/settings';

export interface SimApp {
  app: Hono<SimEnv>;
  control: Control;
}

/** The simulator's Hono app over a state; listens nowhere (see startSimulator). */
export function createSimApp(state: SimState): SimApp {
  const app = new Hono<SimEnv>();
  const control = createControl(state);
  const apiLimiter = new SlidingWindowLimiter();
  const tokenLimiter = new SlidingWindowLimiter();
  const faultRng = createRandom(state.seed ^ 0x5eed);

  app.use('*', correlationAndLog(state));
  app.use('/oauth/*', faults(state, faultRng, 'token'));
  app.use(
    '/api/v2/*',
    faults(state, faultRng, 'api'),
    requireToken(state),
    rateLimit(state, apiLimiter),
  );

  app.route('/oauth', oauthRoutes(state, tokenLimiter));
  app.route('/api/v2/outbound/campaigns', campaignRoutes(state));
  app.route('/api/v2/outbound/settings', outboundSettingsRoutes(state));
  app.route('/api/v2/analytics', analyticsRoutes(state));
  app.route('/api/v2/notifications', notificationRoutes(state));
  app.route('/__sim', controlRoutes(control));

  app.notFound((c) =>
    c.req.path.startsWith('/__sim')
      ? c.json({ error: `no control route ${c.req.method} ${c.req.path}` }, 404)
      : genesysError(c, 404, 'not.found', `Resource not found: ${c.req.method} ${c.req.path}`),
  );
  app.onError((err, c) => {
    if (err instanceof SimError) return c.json({ error: err.message }, err.status);
    console.error('genesys-sim: unexpected error', err);
    return genesysError(
      c,
      500,
      'internal.server.error',
      'The server encountered an unexpected error.',
    );
  });
  return { app, control };
}
