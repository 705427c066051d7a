import { Hono } from 'hono';
import { answerAggregates } from '../analytics/answer';
import { parseAggregatesQuery, QueryError } from '../analytics/query';
import { genesysError, type SimEnv } from '../http';
import type { SimState } from '../model/state';

/** `POST /api/v2/analytics/conversations/aggregates/query`. */
export function analyticsRoutes(state: SimState): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  app.post('/conversations/aggregates/query', async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return genesysError(c, 400, 'bad.request', 'The request body is not valid JSON');
    }
    try {
      const query = parseAggregatesQuery(body, { maxIntervalDays: state.settings.maxIntervalDays });
      return c.json(answerAggregates(state, query));
    } catch (err) {
      if (err instanceof QueryError) return genesysError(c, 400, 'bad.request', err.message);
      throw err;
    }
  });
  return app;
}
