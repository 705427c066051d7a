/**
 * Intake floor (b): a Hono route that parses the JSON body and does one BullMQ `queue.add` (with
 * the catalog's analytics job options) before answering 202. Env: PORT, REDIS_URL, QUEUE_PREFIX.
 */
import type { JobsOptions } from 'bullmq';
import { Hono } from 'hono';
import { analyticsJobOptions } from '@wrapup/shared';
import { openAnalyticsQueue, serveBenchIntake } from '../lib/intake-server';

const queue = await openAnalyticsQueue();
const opts = analyticsJobOptions as JobsOptions;

const app = new Hono();
app.post('/webhooks/genesys', async (c) => {
  const body: unknown = await c.req.json();
  const job = await queue.add('run', body, opts);
  return c.json({ status: 'accepted', jobId: job.id }, 202);
});
await serveBenchIntake(app, queue);
