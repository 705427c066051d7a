/** Intake floor (a): a bare Hono route that reads the body and answers 202. Env: PORT. */
import { Hono } from 'hono';
import { serveBenchIntake } from '../lib/intake-server';

const app = new Hono();
app.post('/webhooks/genesys', async (c) => {
  await c.req.arrayBuffer();
  return c.json({ status: 'accepted' }, 202);
});
await serveBenchIntake(app);
