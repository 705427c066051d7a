/**
 * Intake peer (b3): what a team would write by hand for the same job as wrapup's ingest with API
 * keys. A Hono route that checks the API key (the ingest's own constant-time check), reads the
 * body, parses and validates the event with the shared schema, and does one BullMQ `queue.add` of
 * it (catalog job options) with jobId = a hash of the event's identity (campaign, status, time), so
 * BullMQ's own jobId check drops a repeated event. No run record, no campaign state, no trigger
 * filter. Env: PORT, REDIS_URL, QUEUE_PREFIX, WEBHOOK_API_KEYS.
 */
import type { JobsOptions } from 'bullmq';
import { Hono } from 'hono';
import { analyticsJobOptions, hashId, parseCampaignEvent } from '@wrapup/shared';
import { createWebhookAuth } from '@wrapup/ingest';
import { openAnalyticsQueue, serveBenchIntake } from '../lib/intake-server';

const queue = await openAnalyticsQueue();
const opts = analyticsJobOptions as JobsOptions;
const auth = createWebhookAuth({
  auth: 'required',
  secrets: [],
  apiKeys: (process.env.WEBHOOK_API_KEYS ?? '').split(',').filter(Boolean),
});

const app = new Hono();
app.post('/webhooks/genesys', async (c) => {
  const pre = auth.precheck(c.req.raw.headers, Math.floor(Date.now() / 1000));
  if (pre.kind !== 'pass') return c.json({ error: 'unauthorized' }, 401);
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    return c.json({ error: 'invalid_payload' }, 400);
  }
  const parsed = parseCampaignEvent(json, { eventTimezone: 'UTC' });
  if (parsed.kind !== 'event') return c.json({ error: 'invalid_payload' }, 400);
  const { event } = parsed;
  const jobId = `evt-${hashId(event.campaignId, event.status, event.occurredAt)}`;
  // BullMQ's own dedupe: a job whose id is already in the queue is not added again
  await queue.add('run', event, { ...opts, jobId });
  return c.json({ status: 'accepted', jobId }, 202);
});
await serveBenchIntake(app, queue);
