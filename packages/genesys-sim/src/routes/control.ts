import { Hono } from 'hono';
import type { Control } from '../control';
import type { SimContext, SimEnv } from '../http';
import { SimError } from '../model/state';

async function jsonBody<T>(c: SimContext): Promise<T> {
  const text = await c.req.text();
  if (text.trim() === '') return {} as T;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SimError(400, 'body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new SimError(400, 'body must be a JSON object');
  return body as T;
}

/** The simulator's own control API, mounted at `/__sim`; a SimError becomes `{error}` with its status. */
export function controlRoutes(control: Control): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  app.get('/health', (c) => c.json({ ok: true }));
  app.post('/campaigns', async (c) => c.json(control.createCampaign(await jsonBody(c)), 201));
  app.post('/campaigns/:id/complete', async (c) =>
    c.json(control.runToCompletion(c.req.param('id'), await jsonBody(c))),
  );
  app.post('/campaigns/:id/stop', async (c) =>
    c.json(control.stopCampaign(c.req.param('id'), await jsonBody(c))),
  );
  app.post('/campaigns/:id/start', (c) =>
    c.json({ campaign: control.startCampaign(c.req.param('id')) }),
  );
  app.get('/campaigns/:id/expected', (c) => c.json(control.expected(c.req.param('id'))));
  app.get('/faults', (c) => c.json(control.settings()));
  app.post('/faults', async (c) => c.json(control.setFaults(await jsonBody(c))));
  app.get('/requests', (c) => c.json({ requests: control.requestLog() }));
  app.delete('/requests', (c) => {
    control.resetLog();
    return c.body(null, 204);
  });
  app.post('/tokens/revoke', (c) => c.json({ revoked: control.revokeTokens() }));
  return app;
}
