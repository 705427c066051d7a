import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { createIngest, type Ingest } from '@wrapup/ingest';
import {
  buildFinishEvent,
  startSimulator,
  type FinishedCampaign,
  type SimOptions,
  type Simulator,
} from '@wrapup/genesys-sim';
import { ANALYTICS_QUEUE, NOTIFY_QUEUE, WAREHOUSE_QUEUE, loadConfig } from '@wrapup/shared';
import {
  createPgFixture,
  createRedisFixture,
  type PgFixture,
  type RedisFixture,
} from '@wrapup/shared/testing';
import { ProcessGroup } from './procs';

/**
 * One isolated pipeline experiment: its own QUEUE_PREFIX and PostgreSQL schema, a simulated
 * Genesys Cloud in this process, and a notification receiver that answers 204.
 */
export interface Lab {
  redis: RedisFixture;
  pg: PgFixture;
  sim: Simulator;
  notifyUrl: string;
  notifications(): number;
  cleanup(): Promise<void>;
}

export async function openLab(label: string, sim: SimOptions): Promise<Lab> {
  const redis = await createRedisFixture(`bench-${label}`);
  const pg = await createPgFixture(`bench_${label}`);
  const simulator = await startSimulator({
    demoCampaigns: false,
    tokenRateLimitPerMinute: 100_000,
    ...sim,
  });
  let received = 0;
  const receiver: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  return {
    redis,
    pg,
    sim: simulator,
    notifyUrl: `http://127.0.0.1:${port}/hook`,
    notifications: () => received,
    async cleanup() {
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
      await simulator.close().catch(() => undefined);
      await redis.cleanup();
      await pg.cleanup();
    },
  };
}

/** The worker's environment, as a container would set it. */
export function workerEnv(
  lab: Lab,
  over: Record<string, string | number> = {},
): Record<string, string> {
  const env: Record<string, string | number> = {
    REDIS_URL: lab.redis.redisUrl,
    QUEUE_PREFIX: lab.redis.prefix,
    ...lab.sim.wrapupEnv,
    GENESYS_MAX_RPS: 5000,
    GENESYS_BURST: 50,
    WAREHOUSE_URL: lab.pg.databaseUrl,
    WAREHOUSE_TABLE: lab.pg.table(),
    NOTIFY_URLS: lab.notifyUrl,
    WORKER_CONCURRENCY: 10,
    ANALYTICS_RETRY_DELAY_MS: 200,
    // two checks 200 ms apart must agree before a report counts as complete
    ANALYTICS_SETTLE_MS: 200,
    LOG_LEVEL: 'warn',
    ...over,
  };
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

export interface Finished extends FinishedCampaign {
  /** When the simulator's aggregates hold every conversation of the run (ISO). */
  visibleAt: string;
  /** The run's attempts in the simulator (a contact may be dialled more than once). */
  attempted: number;
}

/**
 * Creates `count` campaigns in the simulator and runs each to completion, their finishes spread
 * evenly over the last `spreadMs` (all in the past, so with no lag their analytics are complete).
 */
export async function finishCampaigns(
  sim: Simulator,
  count: number,
  opts: {
    contacts?: number;
    durationSeconds?: number;
    spreadMs?: number;
    endAt?: number;
    /** Dials per contact at most (the simulator's default 3; 1: no recalls). */
    maxAttemptsPerContact?: number;
  } = {},
): Promise<Finished[]> {
  const contacts = opts.contacts ?? 20;
  const durationSeconds = opts.durationSeconds ?? 600;
  const spread = opts.spreadMs ?? 60_000;
  const end = opts.endAt ?? Date.now();
  const out: Finished[] = [];
  for (let i = 0; i < count; i++) {
    const endAt = count === 1 ? end : end - spread + Math.round((spread * i) / (count - 1));
    const c = await sim.createCampaign({ id: `bench-${randomUUID()}`, contactCount: contacts });
    // short calls, so the last after-call work ends seconds after the finish
    const { campaign, expected } = await sim.runToCompletion(c.id, {
      endAt,
      durationSeconds,
      avgHandleMs: 2000,
      ...(opts.maxAttemptsPerContact !== undefined && {
        maxAttemptsPerContact: opts.maxAttemptsPerContact,
      }),
    });
    out.push({
      id: c.id,
      status: 'complete',
      occurredAt: new Date(endAt).toISOString(),
      durationSeconds,
      contactCount: expected.contactsCalled,
      name: campaign.name,
      visibleAt: expected.visibleAt ?? new Date(endAt).toISOString(),
      attempted: expected.attempted,
    });
  }
  return out;
}

/**
 * The real ingest app in this process, fed through `app.fetch` (its whole webhook path: API-key
 * auth, body limit, parse, dedupe in one Lua call, analytics queue add), without sockets.
 */
export class InProcessIngest {
  private readonly key = randomBytes(16).toString('hex');
  readonly ingest: Ingest;

  constructor(redisUrl: string, prefix: string) {
    const config = loadConfig({
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      WEBHOOK_API_KEYS: this.key,
      LOG_LEVEL: 'warn',
    });
    this.ingest = createIngest(config);
  }

  async ready(): Promise<void> {
    if (!(await this.ingest.ready(5_000))) throw new Error('in-process ingest: Redis not ready');
  }

  /** Delivers one finish event (guide shape); throws unless the answer is 202. */
  async deliver(c: FinishedCampaign): Promise<void> {
    const body = JSON.stringify(buildFinishEvent(c, 'guide', { eventId: randomUUID() }));
    const res = await this.ingest.app.fetch(
      new Request('http://ingest.local/webhooks/genesys', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': this.key,
          'webhook-id': randomUUID(),
        },
        body,
      }),
    );
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  }

  /** Delivers every event with at most `concurrency` in flight. */
  async deliverAll(campaigns: readonly FinishedCampaign[], concurrency = 50): Promise<void> {
    let next = 0;
    const lane = async () => {
      while (next < campaigns.length) {
        const c = campaigns[next++]!;
        await this.deliver(c);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, campaigns.length) }, lane));
  }

  close(): Promise<void> {
    return this.ingest.close();
  }
}

/** Producer handles on the three queues of a prefix (pause/resume, counts). */
export class QueueHandles {
  readonly analytics: Queue;
  readonly warehouse: Queue;
  readonly notify: Queue;

  constructor(redisUrl: string, prefix: string) {
    const connection = { url: redisUrl };
    this.analytics = new Queue(ANALYTICS_QUEUE, { connection, prefix });
    this.warehouse = new Queue(WAREHOUSE_QUEUE, { connection, prefix });
    this.notify = new Queue(NOTIFY_QUEUE, { connection, prefix });
  }

  all(): Queue[] {
    return [this.analytics, this.warehouse, this.notify];
  }

  /** Failed jobs over the three queues. */
  async failed(): Promise<number> {
    const counts = await Promise.all(this.all().map((q) => q.getFailedCount()));
    return counts.reduce((a, b) => a + b, 0);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.all().map((q) => q.close()));
  }
}

/** Redis `used_memory` in bytes. */
export async function redisUsedMemory(redis: RedisFixture['redis']): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

/** redis-server's pid when it runs on this machine (for CPU accounting). */
export async function redisServerPid(redis: RedisFixture['redis']): Promise<number | undefined> {
  const info = await redis.info('server');
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** A lab, a group of worker processes to start on it, the ingest in this process and the queues. */
export interface PipelineLab {
  lab: Lab;
  group: ProcessGroup;
  queues: QueueHandles;
  ingest: InProcessIngest;
}

/**
 * Opens a lab (`openLab`) with the rest of a pipeline around it for `body`; afterwards stops the
 * worker processes, closes the ingest and the queues and removes the lab, however `body` ended.
 */
export async function withPipelineLab<T>(
  label: string,
  sim: SimOptions,
  body: (p: PipelineLab) => Promise<T>,
): Promise<T> {
  const lab = await openLab(label, sim);
  const group = new ProcessGroup();
  const queues = new QueueHandles(lab.redis.redisUrl, lab.redis.prefix);
  const ingest = new InProcessIngest(lab.redis.redisUrl, lab.redis.prefix);
  try {
    return await body({ lab, group, queues, ingest });
  } finally {
    await group.stop();
    await ingest.close();
    await queues.close();
    await lab.cleanup();
  }
}
