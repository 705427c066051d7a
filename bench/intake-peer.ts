/**
 * Section 1, issue 16: wrapup's ingest with API keys (c2) against what a team writes by hand for
 * the same job (b3, bench/servers/api-key-add.ts), measured side by side in the same run. Added to
 * the intake section's result by bench/run.ts (its rows, figures, targets and method lines).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { buildFinishEvent } from '@wrapup/genesys-sim';
import { createRedisFixture, freePort, waitFor, type RedisFixture } from '@wrapup/shared/testing';
import { benchPath, size } from './lib/env';
import { INGEST_MAIN, ProcessGroup, cpuSeconds, tail } from './lib/procs';
import { fmt, type SectionResult, type Table } from './lib/report';

const CONNECTIONS = 50;
const DURATION_S = size(10, 5);
const WARMUP_S = size(3, 1);
/** Events made ready before each run: more than either server answers in it at 50 connections. */
const POOL = size(60_000, 25_000);
const TARGET_THROUGHPUT = 0.8;
const TARGET_P99 = 1.5;

interface Request {
  headers: Record<string, string>;
  body: string;
}

/**
 * Distinct guide-shaped finish events (own campaign id, webhook-id and time), each carrying the API
 * key: every request is a new event for both servers. Made before the run; when used up, more are
 * made on demand (counted).
 */
class EventPool {
  private readonly pool: Request[] = [];
  private next = 0;
  onDemand = 0;

  constructor(
    private readonly key: string,
    n: number,
  ) {
    for (let i = 0; i < n; i++) this.pool.push(this.make());
  }

  private make(): Request {
    const eventId = randomUUID();
    const body = JSON.stringify(
      buildFinishEvent(
        {
          id: `bench-${randomUUID()}`,
          status: 'complete',
          occurredAt: new Date().toISOString(),
          durationSeconds: 600,
          contactCount: 20,
        },
        'guide',
        { eventId },
      ),
    );
    return {
      body,
      headers: { 'content-type': 'application/json', 'x-api-key': this.key, 'webhook-id': eventId },
    };
  }

  take(): Request {
    if (this.next < this.pool.length) return this.pool[this.next++]!;
    this.onDemand += 1;
    return this.make();
  }
}

interface Round {
  reqPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  accepted: number;
  other: string;
  serverCpu: number | undefined;
  redisCpu: number | undefined;
}

interface Server {
  tag: string;
  label: string;
  base: string;
  pid: number | undefined;
  redisUrl: string;
  rounds: Round[];
}

async function redisCpuSeconds(url: string): Promise<number | undefined> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('cpu');
    const field = (name: string) => Number(new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1]);
    const total = field('used_cpu_user') + field('used_cpu_sys');
    return Number.isFinite(total) ? total : undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

const load = (base: string, pool: EventPool, duration: number) =>
  autocannon({
    url: base,
    connections: CONNECTIONS,
    duration,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/genesys',
        setupRequest: (req) => {
          const r = pool.take();
          return { ...req, method: 'POST', path: '/webhooks/genesys', ...r };
        },
      },
    ],
  });

const delta = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined ? b - a : undefined;

/** One measured run against `s` with fresh events; returns how many had to be made on demand. */
async function round(s: Server, key: string): Promise<number> {
  const pool = new EventPool(key, POOL);
  const cpu0 = s.pid === undefined ? undefined : cpuSeconds(s.pid);
  const redis0 = await redisCpuSeconds(s.redisUrl);
  const r = await load(s.base, pool, DURATION_S);
  const cpu1 = s.pid === undefined ? undefined : cpuSeconds(s.pid);
  const redis1 = await redisCpuSeconds(s.redisUrl);
  const stats = r.statusCodeStats ?? {};
  const others = Object.entries(stats)
    .filter(([code]) => code !== '202')
    .map(([code, v]) => `${code}: ${v.count ?? 0}`);
  if (r.errors > 0) others.push(`errors: ${r.errors}`);
  if (r.timeouts > 0) others.push(`timeouts: ${r.timeouts}`);
  s.rounds.push({
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    accepted: stats['202']?.count ?? 0,
    other: others.join(', ') || 'none',
    serverCpu: delta(cpu0, cpu1),
    redisCpu: delta(redis0, redis1),
  });
  return pool.onDemand;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const sumOrUndefined = (xs: (number | undefined)[]) =>
  xs.some((x) => x === undefined) ? undefined : xs.reduce<number>((a, b) => a + (b ?? 0), 0);

/** The rounds of one server pooled: mean req/s, p50 and p99; totals for the rest. */
function pooled(s: Server) {
  const requests = s.rounds.reduce((a, r) => a + r.requests, 0);
  const others = s.rounds.map((r) => r.other).filter((o) => o !== 'none');
  return {
    reqPerSec: mean(s.rounds.map((r) => r.reqPerSec)),
    p50: mean(s.rounds.map((r) => r.p50)),
    p99: mean(s.rounds.map((r) => r.p99)),
    requests,
    accepted: s.rounds.reduce((a, r) => a + r.accepted, 0),
    other: others.length > 0 ? others.join('; ') : 'none',
    serverCpu: sumOrUndefined(s.rounds.map((r) => r.serverCpu)),
    redisCpu: sumOrUndefined(s.rounds.map((r) => r.redisCpu)),
  };
}

const perRequest = (cpu: number | undefined, requests: number) =>
  cpu === undefined ? 'n/a' : `${fmt.n((cpu * 1e6) / Math.max(1, requests))} µs`;

/** Adds (b3) and (c2) to the intake section's result. */
export async function intakePeer(
  section: SectionResult,
  log: (line: string) => void,
): Promise<SectionResult> {
  const key = randomBytes(16).toString('hex');
  const group = new ProcessGroup();
  const fixtures: RedisFixture[] = [];
  const servers: Server[] = [];
  let onDemand = 0;
  try {
    const start = async (o: {
      tag: string;
      label: string;
      entry: string;
      env: (port: number, fx: RedisFixture) => Record<string, string>;
      health: string;
    }) => {
      const fx = await createRedisFixture(`bench-intake-${o.tag}`);
      fixtures.push(fx);
      const port = await freePort();
      const [proc] = group.start(o.entry, o.env(port, fx));
      const base = `http://127.0.0.1:${port}`;
      await waitFor(
        async () => {
          group.checkAlive(o.label);
          const res = await fetch(`${base}${o.health}`).catch(() => undefined);
          return res?.ok === true;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: o.label },
      );
      const s: Server = {
        tag: o.tag,
        label: o.label,
        base,
        pid: proc?.child.pid,
        redisUrl: fx.redisUrl,
        rounds: [],
      };
      servers.push(s);
      return s;
    };
    const b3 = await start({
      tag: 'b3',
      label: '(b3) Hono + API-key check + schema parse + one queue.add (jobId = hash of the event)',
      entry: benchPath('servers', 'api-key-add.ts'),
      env: (port, fx) => ({
        PORT: String(port),
        REDIS_URL: fx.redisUrl,
        QUEUE_PREFIX: fx.prefix,
        WEBHOOK_API_KEYS: key,
      }),
      health: '/healthz',
    });
    const c2 = await start({
      tag: 'c2',
      label: '(c2) real ingest (API keys)',
      entry: INGEST_MAIN,
      env: (port, fx) => ({
        REDIS_URL: fx.redisUrl,
        QUEUE_PREFIX: fx.prefix,
        WEBHOOK_API_KEYS: key,
        INGEST_HOST: '127.0.0.1',
        INGEST_PORT: String(port),
        LOG_LEVEL: 'warn',
      }),
      health: '/readyz',
    });
    for (const s of [b3, c2]) {
      log(`  ${s.tag}: warm-up ${WARMUP_S} s`);
      const warm = new EventPool(key, size(20_000, 8_000));
      await load(s.base, warm, WARMUP_S);
    }
    // b3, c2, c2, b3: each measured twice, in an order that evens out drift in the machine's load
    for (const s of [b3, c2, c2, b3]) {
      log(`  ${s.tag}: making ${POOL} events, then ${DURATION_S} s measured`);
      onDemand += await round(s, key);
      const r = s.rounds.at(-1)!;
      log(`    ${s.tag} ${fmt.n(r.reqPerSec)} req/s, p99 ${fmt.ms(r.p99)} (other: ${r.other})`);
    }
    group.checkAlive('the (b3)/(c2) servers');
  } catch (err) {
    const outputs = group.procs.map((p) => tail(p.output(), 15)).join('\n');
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}${outputs ? `\n${outputs}` : ''}`,
      { cause: err },
    );
  } finally {
    await group.stop();
    for (const fx of fixtures) await fx.cleanup();
  }

  const [b3, c2] = servers as [Server, Server];
  const pb3 = pooled(b3);
  const pc2 = pooled(c2);
  const throughput = pc2.reqPerSec / pb3.reqPerSec;
  const p99Ratio = pc2.p99 / pb3.p99;
  const rows = [b3, c2].map((s) => {
    const p = pooled(s);
    return [
      s.label,
      fmt.n(p.reqPerSec),
      fmt.ms(p.p50),
      fmt.ms(p.p99),
      p.requests,
      p.accepted,
      p.other,
      perRequest(p.serverCpu, p.requests),
      perRequest(p.redisCpu, p.requests),
    ];
  });
  const headers = [
    'server',
    'req/s',
    'p50',
    'p99',
    'requests',
    '202 answers',
    'other answers',
    'server CPU per request',
    'Redis CPU per request',
  ];
  const tables: Table[] = [...section.tables];
  const main = tables[0];
  if (main && main.headers.join('|') === headers.join('|')) {
    tables[0] = { ...main, rows: [...main.rows, ...rows] };
  } else {
    tables.push({ headers, rows });
  }
  const roundRow = (s: Server, i: number) => {
    const r = s.rounds[i]!;
    return `${fmt.n(r.reqPerSec)} req/s, p99 ${fmt.ms(r.p99)}`;
  };
  tables.push({
    headers: ['(b3) vs (c2), side by side', 'value'],
    rows: [
      ['throughput c2/b3', fmt.ratio(throughput)],
      ['p99 c2/b3', fmt.ratio(p99Ratio)],
      ['p50 c2/b3', fmt.ratio(pc2.p50 / pb3.p50)],
      [
        'server CPU per request c2/b3',
        pc2.serverCpu !== undefined && pb3.serverCpu !== undefined
          ? fmt.ratio(pc2.serverCpu / pc2.requests / (pb3.serverCpu / pb3.requests))
          : 'n/a',
      ],
      [
        'Redis CPU per request c2/b3',
        pc2.redisCpu !== undefined && pb3.redisCpu !== undefined
          ? fmt.ratio(pc2.redisCpu / pc2.requests / (pb3.redisCpu / pb3.requests))
          : 'n/a',
      ],
      ['(b3) round 1 / round 2', `${roundRow(b3, 0)} / ${roundRow(b3, 1)}`],
      ['(c2) round 1 / round 2', `${roundRow(c2, 0)} / ${roundRow(c2, 1)}`],
    ],
  });

  return {
    ...section,
    summary: `${section.summary}; b3 ${fmt.n(pb3.reqPerSec)} / c2 ${fmt.n(pc2.reqPerSec)} req/s, c2/b3 ${fmt.ratio(throughput)}, p99 c2/b3 ${fmt.ratio(p99Ratio)}`,
    tables,
    targets: [
      ...section.targets,
      {
        name: 'ingest with API keys / hand-written peer throughput (c2/b3)',
        value: fmt.ratio(throughput),
        target: `>= ${TARGET_THROUGHPUT}`,
        pass: throughput >= TARGET_THROUGHPUT,
      },
      {
        name: 'ingest with API keys p99 / hand-written peer p99 (c2/b3)',
        value: fmt.ratio(p99Ratio),
        target: `<= ${TARGET_P99}`,
        pass: p99Ratio <= TARGET_P99,
      },
      {
        name: 'every (c2) request answered 202 (a new event)',
        value: pc2.other === 'none' ? 'yes' : pc2.other,
        target: 'yes',
        pass: pc2.other === 'none' && pc2.accepted === pc2.requests,
      },
    ],
    method: [
      ...section.method,
      `(b3) and (c2), issue 16: after the rows above, both servers are started side by side (each with its own Redis prefix; only one is loaded at a time), warmed up ${WARMUP_S} s each, then measured ${DURATION_S} s at a time in the order b3, c2, c2, b3 (${CONNECTIONS} connections); their rows give the mean of the two rounds' req/s, p50 and p99 and the totals of the rest.`,
      "(b3) bench/servers/api-key-add.ts, the peer a team would write by hand: Hono, the ingest's own API-key check (`x-api-key`), `c.req.json()`, the shared event schema (`parseCampaignEvent`), one BullMQ `queue.add` of the parsed event with the catalog job options and jobId = a hash of (campaign, status, time), so BullMQ's own jobId check drops a repeat. (c2) the production ingest (apps/ingest/src/main.ts) with WEBHOOK_API_KEYS only, LOG_LEVEL=warn: the same checks plus body limit and deadline, event horizon, trigger filter, and the one intake Lua round trip (dedupe by event id, run record, campaign state, recent-runs index, and the analytics job added by BullMQ's own add script, atomically).",
      `Every request to (b3) and (c2) is a distinct guide-shaped finish event (its own campaign id, webhook-id and time, so each one adds a job, and for (c2) a run), made before each run (${POOL} per run) and handed out by autocannon's \`setupRequest\`; ${onDemand > 0 ? `${onDemand} events beyond those were made on demand.` : 'none had to be made on demand.'}`,
    ],
  };
}
