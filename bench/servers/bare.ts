/** Intake floor (a): a bare Hono route that reads the body and answers 202. Env: PORT. */
import { Hono } from 'hono';
import { serveApp } from '@wrapup/ingest';

const app = new Hono();
app.post('/webhooks/genesys', async (c) => {
  await c.req.arrayBuffer();
  return c.json({ status: 'accepted' }, 202);
});
app.get('/healthz', (c) => c.json({ status: 'ok' }));

const running = await serveApp(app, { host: '127.0.0.1', port: Number(process.env.PORT ?? '0') });
process.stdout.write(`READY ${running.port}\n`);
process.on('SIGTERM', () => void running.close(2_000).then(() => process.exit(0)));
