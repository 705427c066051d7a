import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import type { Hono } from 'hono';

type BoardServerAdapter = Parameters<typeof createBullBoard>[0]['serverAdapter'];

/** Bull Board for the given queues, as a Hono app to mount at `basePath`. */
export function createBoard(queues: readonly Queue[], basePath: string): Hono {
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q)),
    // @bull-board/hono 9.10.1 types against @bull-board/api 9.10.1, we have api 9.10.2: same shape.
    serverAdapter: serverAdapter as unknown as BoardServerAdapter,
    options: { uiConfig: { boardTitle: 'wrapup' } },
  });
  return serverAdapter.registerPlugin();
}
