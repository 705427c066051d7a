import { Hono } from 'hono';
import * as v from 'valibot';
import { formatIssues } from '@wrapup/shared';
import {
  CompleteBody,
  CreateCampaignBody,
  DeliverCopyBody,
  EditBody,
  RefuseSocketsBody,
  SettingsBody,
  StartBody,
  StopBody,
  type Control,
} from '../control';
import type { SimContext, SimEnv } from '../http';
import type { TimeRange } from '../model/campaigns';
import { SimError } from '../model/state';

/** A JSON object body (an empty body reads as `{}`); anything else is a 400. */
async function jsonBody(c: SimContext): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SimError(400, 'body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new SimError(400, 'body must be a JSON object');
  return body;
}

/** Parses a body with a valibot schema; a mismatch is a 400 naming the first issue's path. */
async function parsedBody<S extends v.GenericSchema>(
  c: SimContext,
  schema: S,
): Promise<v.InferOutput<S>> {
  const result = v.safeParse(schema, await jsonBody(c));
  if (result.success) return result.output;
  throw new SimError(400, formatIssues(result.issues, 1));
}

/** An instant query parameter: epoch ms (digits) or ISO-8601 text; empty means unset. */
const InstantParam = v.optional(
  v.pipe(
    v.string(),
    v.transform((s) => (s === '' ? undefined : /^\d+$/.test(s) ? Number(s) : s)),
  ),
);
const RangeQuerySchema = v.looseObject({ from: InstantParam, to: InstantParam });

/** `from` / `to` query parameters: ISO-8601 or epoch ms. */
function rangeQuery(c: SimContext): TimeRange {
  const parsed = v.safeParse(RangeQuerySchema, c.req.query());
  if (!parsed.success) throw new SimError(400, formatIssues(parsed.issues, 1));
  const { from, to } = parsed.output;
  return { ...(from !== undefined && { from }), ...(to !== undefined && { to }) };
}

/**
 * The simulator's own control API, mounted at `/__sim`; a SimError becomes `{error}` with its status.
 *
 * - `POST /campaigns` create; `POST /campaigns/:id/complete` dial the rest and complete;
 *   `POST /campaigns/:id/stop` dial a share and stop (`on` -> `stopping` -> `off`);
 *   `POST /campaigns/:id/start` `{at?}` start or resume; `POST /campaigns/:id/edit` `{name?, at?}`;
 * - `GET /campaigns/:id/expected?from&to` true totals of the dials in the range;
 * - `GET /campaigns/:id/copies` every published copy; `POST /campaigns/:id/deliver` sends one
 *   (default the latest) to a URL in a given shape.
 * - `GET /notifications` the live notification channels; `POST /notifications/drop-sockets` (a
 *   network cut), `/notifications/socket-closing` (maintenance notice, then close after the grace),
 *   `/notifications/expire-channels`, `/notifications/refuse-sockets` `{on}`.
 */
export function controlRoutes(control: Control): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  app.get('/health', (c) => c.json({ ok: true }));
  app.post('/campaigns', async (c) =>
    c.json(control.createCampaign(await parsedBody(c, CreateCampaignBody)), 201),
  );
  app.post('/campaigns/:id/complete', async (c) =>
    c.json(control.runToCompletion(c.req.param('id'), await parsedBody(c, CompleteBody))),
  );
  app.post('/campaigns/:id/stop', async (c) =>
    c.json(control.stopCampaign(c.req.param('id'), await parsedBody(c, StopBody))),
  );
  app.post('/campaigns/:id/start', async (c) => {
    const opts = await parsedBody(c, StartBody);
    return c.json({ campaign: control.startCampaign(c.req.param('id'), opts) });
  });
  app.post('/campaigns/:id/edit', async (c) => {
    const opts = await parsedBody(c, EditBody);
    return c.json({ campaign: control.editCampaign(c.req.param('id'), opts) });
  });
  app.get('/campaigns/:id/expected', (c) =>
    c.json(control.expected(c.req.param('id'), rangeQuery(c))),
  );
  app.get('/campaigns/:id/copies', (c) => c.json({ copies: control.copies(c.req.param('id')) }));
  app.post('/campaigns/:id/deliver', async (c) =>
    c.json(await control.deliverCopy(c.req.param('id'), await parsedBody(c, DeliverCopyBody))),
  );
  app.get('/faults', (c) => c.json(control.settings()));
  app.post('/faults', async (c) => c.json(control.setFaults(await parsedBody(c, SettingsBody))));
  app.get('/requests', (c) => c.json({ requests: control.requestLog() }));
  app.delete('/requests', (c) => {
    control.resetLog();
    return c.body(null, 204);
  });
  app.post('/tokens/revoke', (c) => c.json({ revoked: control.revokeTokens() }));
  app.get('/notifications', (c) => c.json({ channels: control.notifications() }));
  app.post('/notifications/drop-sockets', (c) => c.json({ dropped: control.dropSockets() }));
  app.post('/notifications/socket-closing', (c) =>
    c.json({ notified: control.sendSocketClosing() }),
  );
  app.post('/notifications/expire-channels', (c) => c.json({ expired: control.expireChannels() }));
  app.post('/notifications/refuse-sockets', async (c) => {
    const { on } = await parsedBody(c, RefuseSocketsBody);
    return c.json({ refused: control.setSocketsRefused(on) });
  });
  return app;
}
