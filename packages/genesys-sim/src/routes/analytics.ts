import { Hono } from 'hono';
import { answerAggregates } from '../analytics/answer';
import { parseAggregatesQuery, QueryError } from '../analytics/query';
import { genesysError, type SimEnv } from '../http';
import type { SimState } from '../model/state';

/** What a body that is no JSON reads as. */
const NOT_JSON = Symbol('not JSON');

/** `POST /api/v2/analytics/conversations/aggregates/query`. */
export function analyticsRoutes(state: SimState): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  app.post('/conversations/aggregates/query', async (c) => {
    const body: unknown = await c.req.json().catch(() => NOT_JSON);
    if (body === NOT_JSON)
      return genesysError(c, 400, 'bad.request', 'The request body is not valid JSON');
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
