import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import { Hono } from 'hono';

export interface BoardOptions {
  /** Bull Board without write actions (DASHBOARD_READ_ONLY). */
  readOnly: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Bull Board for the given queues, as a Hono app to mount at `basePath`. Read-only unless
 * `readOnly` is false; even then it never creates jobs: its add-job endpoint, and rewriting a
 * job's data (which makes a retry run arbitrary data: adding a job by another name), answer 403.
 */
export function createBoard(
  queues: readonly Queue[],
  basePath: string,
  { readOnly }: BoardOptions,
): Hono {
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    // readOnlyMode hides the UI's write actions and makes bull-board refuse them (405) itself
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: readOnly })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'wrapup' } },
  });

  const board = new Hono();
  // Registered before bull-board's own routes, so the same router matches the same paths first.
  board.post('/api/queues/:queueName/add', (c) => c.json({ error: 'job_creation_disabled' }, 403));
  board.patch('/api/queues/:queueName/:jobId/update-data', (c) =>
    c.json({ error: 'job_creation_disabled' }, 403),
  );
  if (readOnly) {
    // Belt and braces over readOnlyMode: it also covers routes that skip the per-queue check
    // (pause-all and resume-all answer 200 doing nothing) and any route a later version adds.
    board.use('/api/*', async (c, next) => {
      if (!SAFE_METHODS.has(c.req.method)) return c.json({ error: 'read_only' }, 403);
      await next();
    });
  }
  board.route('/', serverAdapter.registerPlugin());
  return board;
}
