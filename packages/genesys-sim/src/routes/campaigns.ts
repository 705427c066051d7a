import { Hono } from 'hono';
import { genesysError, type SimEnv } from '../http';
import type { SimState } from '../model/state';
import { campaignView, progressView } from '../model/views';

const BASE = '/api/v2/outbound/campaigns';

/**
 * The most campaign ids one `POST /api/v2/outbound/campaigns/progress` takes, and the most `id`
 * parameters one listing takes. Unverified: the SDK documents the body as a list of ids and the
 * listing's `id` as "A list of ... ids to bulk fetch" without a maximum; the listing answers at
 * most 100 per page (verified), so the worker asks for at most 100 ids a call and the simulator
 * refuses more (docs/platform-facts.md).
 */
export const MAX_CAMPAIGN_IDS = 100;

function intParam(raw: string | undefined, fallback: number): number | undefined {
  if (raw === undefined || raw === '') return fallback;
  return /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** `GET /api/v2/outbound/campaigns` (with `id=` lists), `/{id}`, `/{id}/progress`; `POST /progress`. */
export function campaignRoutes(state: SimState): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  app.get('/', (c) => {
    const pageSize = intParam(c.req.query('pageSize'), 25);
    const pageNumber = intParam(c.req.query('pageNumber'), 1);
    if (pageSize === undefined || pageSize < 1 || pageSize > 100)
      return genesysError(c, 400, 'bad.request', 'pageSize must be an integer from 1 to 100');
    if (pageNumber === undefined || pageNumber < 1)
      return genesysError(c, 400, 'bad.request', 'pageNumber must be an integer >= 1');
    const name = c.req.query('name')?.toLowerCase();
    const ids = c.req.queries('id') ?? [];
    if (ids.length > MAX_CAMPAIGN_IDS)
      return genesysError(
        c,
        400,
        'bad.request',
        `at most ${MAX_CAMPAIGN_IDS} id parameters are allowed, got ${ids.length}`,
      );
    const descending = c.req.query('sortOrder')?.toLowerCase().startsWith('desc') ?? false;

    const unknown = ids.find((id) => !state.campaigns.has(id));
    if (state.settings.refuseUnknownIds && unknown !== undefined)
      return genesysError(c, 400, 'bad.request', `campaign ${unknown} does not exist`);
    let all = [...state.campaigns.values()];
    if (name) all = all.filter((x) => x.name.toLowerCase().includes(name));
    if (ids.length > 0) all = all.filter((x) => ids.includes(x.id));
    all.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    if (descending) all.reverse();

    const total = all.length;
    const pageCount = Math.ceil(total / pageSize);
    const uri = (n: number) => `${BASE}?pageSize=${pageSize}&pageNumber=${n}`;
    return c.json({
      entities: all.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map(campaignView),
      pageSize,
      pageNumber,
      total,
      pageCount,
      firstUri: uri(1),
      selfUri: uri(pageNumber),
      lastUri: uri(Math.max(1, pageCount)),
      ...(pageNumber < pageCount ? { nextUri: uri(pageNumber + 1) } : {}),
      ...(pageNumber > 1 ? { previousUri: uri(pageNumber - 1) } : {}),
    });
  });

  // `POST /api/v2/outbound/campaigns/progress` (SDK `postOutboundCampaignsProgress`): a JSON array
  // of campaign ids, answered with the progress of each known one (unknown ids are left out, or
  // the whole list refused with `refuseUnknownIds`: how the platform answers them is unverified).
  app.post('/progress', async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return genesysError(c, 400, 'bad.request', 'The request body is not valid JSON');
    }
    if (!Array.isArray(body) || body.some((x) => typeof x !== 'string'))
      return genesysError(c, 400, 'bad.request', 'The body must be a JSON array of campaign ids');
    if (body.length > MAX_CAMPAIGN_IDS)
      return genesysError(
        c,
        400,
        'bad.request',
        `at most ${MAX_CAMPAIGN_IDS} campaign ids are allowed, got ${body.length}`,
      );
    const unknown = (body as string[]).find((id) => !state.campaigns.has(id));
    if (state.settings.refuseUnknownIds && unknown !== undefined)
      return genesysError(c, 400, 'bad.request', `campaign ${unknown} does not exist`);
    const out = [];
    for (const id of new Set(body as string[])) {
      const campaign = state.campaigns.get(id);
      if (campaign) out.push(progressView(campaign, { omitCalled: state.omitOptional() }));
    }
    return c.json(out);
  });

  app.get('/:id', (c) => {
    const campaign = state.campaigns.get(c.req.param('id'));
    if (!campaign)
      return genesysError(c, 404, 'not.found', 'The requested campaign was not found.');
    return c.json(campaignView(campaign));
  });

  app.get('/:id/progress', (c) => {
    const campaign = state.campaigns.get(c.req.param('id'));
    if (!campaign)
      return genesysError(c, 404, 'not.found', 'The requested campaign was not found.');
    return c.json(progressView(campaign, { omitCalled: state.omitOptional() }));
  });

  return app;
}
