/**
 * Intake reference (b2): what any intake that authenticates and validates must pay on top of the
 * floor (b). A Hono route that reads the raw body, verifies its Standard Webhooks signature with the
 * ingest's own verifier, parses and validates the event with the shared schema, and does one BullMQ
 * `queue.add` of it (catalog job options). No dedupe, no run record, no
 * trigger filter. Env: PORT, REDIS_URL, QUEUE_PREFIX, WEBHOOK_SECRET.
 */
import type { JobsOptions } from 'bullmq';
import { Hono } from 'hono';
import { analyticsJobOptions, parseCampaignEvent } from '@wrapup/shared';
import { createWebhookAuth } from '@wrapup/ingest';
import { openAnalyticsQueue, serveBenchIntake } from '../lib/intake-server';

const queue = await openAnalyticsQueue();
const opts = analyticsJobOptions as JobsOptions;
const auth = createWebhookAuth({
  auth: 'required',
  secrets: [process.env.WEBHOOK_SECRET ?? ''],
  apiKeys: [],
});

const app = new Hono();
app.post('/webhooks/genesys', async (c) => {
  const now = Math.floor(Date.now() / 1000);
  const pre = auth.precheck(c.req.raw.headers, now);
  if (pre.kind === 'fail') return c.json({ error: 'unauthorized' }, 401);
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (pre.kind === 'needs-body' && !auth.verifyBody(pre.signature, bytes, now).ok)
    return c.json({ error: 'unauthorized' }, 401);
  const parsed = parseCampaignEvent(JSON.parse(new TextDecoder().decode(bytes)) as unknown, {
    eventTimezone: 'UTC',
  });
  if (parsed.kind !== 'event') return c.json({ error: 'invalid_payload' }, 400);
  const { event } = parsed;
  // no jobId, as in (b): the pool repeats events, and a repeated jobId would make BullMQ skip the add
  const job = await queue.add('run', event, opts);
  return c.json({ status: 'accepted', jobId: job.id }, 202);
});
await serveBenchIntake(app, queue);
