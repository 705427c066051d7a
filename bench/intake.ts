import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { createRedisFixture, freePort, waitFor, type RedisFixture } from '@wrapup/shared/testing';
import { QUICK, benchPath, size } from './lib/env';
import { SignedEventPool, newWebhookSecret } from './lib/events';
import { INGEST_MAIN, ProcessGroup, cpuSeconds, rssBytes, tail } from './lib/procs';
import { fmt, type SectionResult } from './lib/report';

const CONNECTIONS = 50;
const DURATION_S = size(10, 5);
const WARMUP_S = size(3, 1);
const RSS_EVENTS = size(100_000, 20_000);
const TARGET_THROUGHPUT = 0.85;
const TARGET_P99 = 1.5;
const TARGET_RSS_MB = 50;

interface Measured {
  label: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  accepted: number;
  other: string;
  serverCpu: number | undefined;
  /** Redis server CPU seconds (INFO used_cpu_user + used_cpu_sys) during the measured run. */
  redisCpu: number | undefined;
}

/** Redis's own CPU seconds so far (it serves only the bench while a section runs). */
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

async function waitHealthy(url: string, group: ProcessGroup, what: string): Promise<void> {
  await waitFor(
    async () => {
      group.checkAlive(what);
      const res = await fetch(url).catch(() => undefined);
      return res?.ok === true;
    },
    { timeoutMs: 30_000, intervalMs: 100, what },
  );
}

async function load(
  url: string,
  pool: SignedEventPool,
  opts: { duration?: number; amount?: number },
): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: CONNECTIONS,
    ...(opts.amount !== undefined
      ? { amount: opts.amount }
      : { duration: opts.duration ?? DURATION_S }),
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/genesys',
        setupRequest: (req) => {
          const r = pool.take();
          return {
            ...req,
            method: 'POST',
            path: '/webhooks/genesys',
            headers: r.headers,
            body: r.body,
          };
        },
      },
    ],
  });
}

const statusSummary = (r: autocannon.Result, expected: number) => {
  const stats = r.statusCodeStats ?? {};
  const others = Object.entries(stats)
    .filter(([code]) => Number(code) !== expected)
    .map(([code, v]) => `${code}: ${v.count ?? 0}`);
  if (r.errors > 0) others.push(`errors: ${r.errors}`);
  if (r.timeouts > 0) others.push(`timeouts: ${r.timeouts}`);
  return { accepted: stats[`${expected}`]?.count ?? 0, other: others.join(', ') || 'none' };
};

/** `nodejs_heap_size_used_bytes` from the ingest's Prometheus endpoint (NaN when missing). */
async function heapUsed(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^wrapup_ingest_nodejs_heap_size_used_bytes\s+(\S+)/m.exec(text)?.[1] ?? NaN);
}

/** Warm-up, then the measured run; the server's CPU seconds during the measured run. */
async function measure(
  label: string,
  base: string,
  pool: SignedEventPool,
  pid: number | undefined,
  redisUrl?: string,
): Promise<Measured> {
  await load(base, pool, { duration: WARMUP_S });
  const cpu0 = pid === undefined ? undefined : cpuSeconds(pid);
  const redis0 = redisUrl === undefined ? undefined : await redisCpuSeconds(redisUrl);
  const r = await load(base, pool, { duration: DURATION_S });
  const cpu1 = pid === undefined ? undefined : cpuSeconds(pid);
  const redis1 = redisUrl === undefined ? undefined : await redisCpuSeconds(redisUrl);
  const { accepted, other } = statusSummary(r, 202);
  return {
    label,
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    accepted,
    other,
    serverCpu: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
    redisCpu: redis0 !== undefined && redis1 !== undefined ? redis1 - redis0 : undefined,
  };
}

/**
 * Section 1: bare Hono vs Hono + one queue.add vs the real ingest with signatures, and ingest RSS
 * growth; plus (b2), an authenticated and validated add, to show where the gap between b and c lies.
 */
export async function intakeSection(log: (line: string) => void): Promise<SectionResult> {
  const secret = newWebhookSecret();
  const group = new ProcessGroup();
  const fixtures: RedisFixture[] = [];
  const results: Measured[] = [];
  let rss:
    | {
        before: number;
        after: number;
        heapBefore: number;
        heapAfter: number;
        events: number;
        accepted: number;
        other: string;
        seconds: number;
      }
    | undefined;
  let onDemand = 0;
  try {
    const poolSize = size(60_000, 15_000);
    log(`  signing ${poolSize} distinct events for (a)/(b) with standardwebhooks`);
    let pool = new SignedEventPool(secret, poolSize, { cycle: true });

    /**
     * Starts bench/servers/<server> on a free port (with a Redis fixture of its own when `redis`
     * names one), measures it with the signed pool and stops it.
     */
    const measureServer = async (o: {
      tag: string;
      label: string;
      server: string;
      what: string;
      redis?: string;
      env?: Record<string, string>;
    }) => {
      const fx = o.redis === undefined ? undefined : await createRedisFixture(o.redis);
      if (fx) fixtures.push(fx);
      const port = await freePort();
      const [proc] = group.start(benchPath('servers', o.server), {
        PORT: String(port),
        ...(fx ? { REDIS_URL: fx.redisUrl, QUEUE_PREFIX: fx.prefix } : {}),
        ...o.env,
      });
      const base = `http://127.0.0.1:${port}`;
      await waitHealthy(`${base}/healthz`, group, o.what);
      results.push(await measure(o.label, base, pool, proc?.child.pid, fx?.redisUrl));
      log(
        `    ${o.tag} ${fmt.n(results.at(-1)!.reqPerSec)} req/s, p99 ${fmt.ms(results.at(-1)!.p99)}`,
      );
      await group.stop();
    };
    await measureServer({
      tag: '(a)',
      label: '(a) bare Hono route answering 202',
      server: 'bare.ts',
      what: 'the bare Hono server',
    });
    await measureServer({
      tag: '(b)',
      label: '(b) Hono route + one BullMQ queue.add',
      server: 'queue-add.ts',
      what: 'the Hono + queue.add server',
      redis: 'bench-intake-b',
    });
    // signature check + schema parse + one queue.add
    await measureServer({
      tag: '(b2)',
      label: '(b2) Hono + signature check + schema parse + one queue.add',
      server: 'checked-add.ts',
      what: 'the checked queue.add server',
      redis: 'bench-intake-b2',
      env: { WEBHOOK_SECRET: secret },
    });
    // (c) the real ingest, then its RSS over RSS_EVENTS more events
    {
      const fx = await createRedisFixture('bench-intake-c');
      fixtures.push(fx);
      log(`  signing ${poolSize} fresh events for (c)`);
      pool = new SignedEventPool(secret, poolSize);
      const port = await freePort();
      const [proc] = group.start(INGEST_MAIN, {
        REDIS_URL: fx.redisUrl,
        QUEUE_PREFIX: fx.prefix,
        WEBHOOK_SECRET: secret,
        INGEST_HOST: '127.0.0.1',
        INGEST_PORT: String(port),
        LOG_LEVEL: 'warn',
      });
      const base = `http://127.0.0.1:${port}`;
      await waitHealthy(`${base}/readyz`, group, 'the ingest');
      const pid = proc?.child.pid;
      results.push(
        await measure(
          '(c) real ingest (Standard Webhooks signatures)',
          base,
          pool,
          pid,
          fx.redisUrl,
        ),
      );
      log(`    (c) ${fmt.n(results.at(-1)!.reqPerSec)} req/s, p99 ${fmt.ms(results.at(-1)!.p99)}`);
      onDemand += pool.signedOnDemand;

      if (pid !== undefined) {
        log(`  ingest RSS over ${RSS_EVENTS} more events (signing them first)`);
        pool = new SignedEventPool(secret, RSS_EVENTS);
        const heapBefore = await heapUsed(base);
        const before = rssBytes(pid);
        const started = performance.now();
        const r = await load(base, pool, { amount: RSS_EVENTS });
        const seconds = (performance.now() - started) / 1000;
        await new Promise((res) => setTimeout(res, 1_000));
        const after = rssBytes(pid);
        const heapAfter = await heapUsed(base);
        const { accepted, other } = statusSummary(r, 202);
        rss = {
          before,
          after,
          heapBefore,
          heapAfter,
          events: RSS_EVENTS,
          accepted,
          other,
          seconds,
        };
        log(`    RSS ${fmt.mb(before)} -> ${fmt.mb(after)}`);
        onDemand += pool.signedOnDemand;
      }
      group.checkAlive('the ingest');
    }
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

  const [a, b, b2, c] = results as [Measured, Measured, Measured, Measured];
  const cb = c.reqPerSec / b.reqPerSec;
  const cb2 = c.reqPerSec / b2.reqPerSec;
  const b2b = b2.reqPerSec / b.reqPerSec;
  const ca = c.reqPerSec / a.reqPerSec;
  const p99Ratio = c.p99 / b.p99;
  const growthMb = rss ? (rss.after - rss.before) / 2 ** 20 : NaN;
  const perRequest = (cpu: number | undefined, m: Measured) =>
    cpu === undefined ? 'n/a' : `${fmt.n((cpu * 1e6) / Math.max(1, m.requests))} µs`;

  return {
    id: 'ingest',
    title: '1. Intake',
    summary:
      `a ${fmt.n(a.reqPerSec)} / b ${fmt.n(b.reqPerSec)} / b2 ${fmt.n(b2.reqPerSec)} / c ${fmt.n(c.reqPerSec)} req/s; c/b ${fmt.ratio(cb)}, c/b2 ${fmt.ratio(cb2)}, c/a ${fmt.ratio(ca)}; ` +
      `p99 ${fmt.ms(a.p99)} / ${fmt.ms(b.p99)} / ${fmt.ms(c.p99)}; RSS growth ${fmt.n(growthMb, 1)} MB over ${rss?.events ?? 0} events`,
    tables: [
      {
        headers: [
          'server',
          'req/s',
          'p50',
          'p99',
          'requests',
          '202 answers',
          'other answers',
          'server CPU per request',
          'Redis CPU per request',
        ],
        rows: results.map((m) => [
          m.label,
          fmt.n(m.reqPerSec),
          fmt.ms(m.p50),
          fmt.ms(m.p99),
          m.requests,
          m.accepted,
          m.other,
          perRequest(m.serverCpu, m),
          perRequest(m.redisCpu, m),
        ]),
      },
      {
        headers: ['figure', 'value'],
        rows: [
          ['throughput c/b', fmt.ratio(cb)],
          ['throughput c/a', fmt.ratio(ca)],
          ['p99 c/b', fmt.ratio(p99Ratio)],
          ['throughput b2/b (what authentication and validation cost)', fmt.ratio(b2b)],
          [
            'throughput c/b2 (what dedupe, the run record and the trigger filter cost)',
            fmt.ratio(cb2),
          ],
          ...(rss
            ? [
                ['ingest RSS before / after', `${fmt.mb(rss.before)} / ${fmt.mb(rss.after)}`],
                [
                  'ingest V8 heap used before / after (from its /metrics)',
                  `${fmt.mb(rss.heapBefore)} / ${fmt.mb(rss.heapAfter)}`,
                ],
                [
                  `RSS growth over ${rss.events} new events`,
                  `${fmt.n(growthMb, 1)} MB (${rss.accepted} answered 202 in ${fmt.n(rss.seconds, 1)} s; other: ${rss.other})`,
                ],
              ]
            : []),
        ],
      },
    ],
    targets: [
      {
        name: 'ingest throughput / queue.add floor (c/b)',
        value: fmt.ratio(cb),
        target: `>= ${TARGET_THROUGHPUT}`,
        pass: cb >= TARGET_THROUGHPUT,
      },
      {
        name: 'ingest p99 / queue.add floor p99',
        value: fmt.ratio(p99Ratio),
        target: `<= ${TARGET_P99}`,
        pass: p99Ratio <= TARGET_P99,
      },
      {
        name: `ingest RSS growth over ${rss?.events ?? RSS_EVENTS} events`,
        value: `${fmt.n(growthMb, 1)} MB`,
        target: `< ${TARGET_RSS_MB} MB${QUICK ? ' (over 100,000 in the full run)' : ''}`,
        pass: growthMb < TARGET_RSS_MB,
      },
      {
        name: 'every ingest request answered 202 (a new event)',
        value: c.other === 'none' ? 'yes' : c.other,
        target: 'yes',
        pass: c.other === 'none' && c.accepted === c.requests,
      },
    ],
    method: [
      `autocannon (programmatic API, in the bench process) with ${CONNECTIONS} connections against each server in turn: a ${WARMUP_S} s warm-up, then ${DURATION_S} s measured; req/s is autocannon's mean, p50/p99 its latency percentiles.`,
      'Each server runs in a child process of its own (bench/servers/bare.ts, bench/servers/queue-add.ts, bench/servers/checked-add.ts, and the production apps/ingest/src/main.ts configured by env), so the load generator does not share its event loop; all are served by the same @hono/node-server setup (`serveApp`).',
      "(a) reads the body and answers 202. (b) parses the JSON and does one BullMQ `queue.add` on the analytics queue with the catalog job options (retention included), then 202. (b2) is (b) plus what any authenticated, validated intake pays: the ingest's own Standard Webhooks verifier over the raw bytes and the shared event schema, then one `queue.add` of the parsed event; no dedupe and no run record. (c) the real ingest with WEBHOOK_SECRET set (Standard Webhooks HMAC over the raw bytes, timestamp tolerance), body limit, schema parse, one Lua round trip that deduplicates, records the run and adds the analytics job with BullMQ's own add script (atomically), LOG_LEVEL=warn.",
      `For (c) every request is a distinct finish event (its own campaign id and webhook-id, so each one creates a run and a job), pre-signed with the reference \`standardwebhooks\` package and handed out by autocannon's \`setupRequest\`; (a), (b) and (b2) get the same kind of signed requests from a pool of ${size(60_000, 15_000)} that they cycle through (they do not dedupe; (a) and (b) ignore the signature, (b2) checks it). ${onDemand > 0 ? `${onDemand} events beyond the pre-signed pools were signed on demand.` : 'No event had to be signed on demand.'}`,
      `RSS: after (c), the ingest's resident set (/proc/PID/status VmRSS) is read, ${RSS_EVENTS} more new events are sent (autocannon \`amount\`, ${CONNECTIONS} connections), and read again 1 s later; the V8 heap in use is read from the ingest's /metrics at the same moments (no forced GC, so it includes garbage not yet collected).`,
      "Server CPU per request: user+system CPU seconds of the server process during the measured run over the requests served. Redis CPU per request: the change of Redis's INFO used_cpu_user + used_cpu_sys over the same run (the bench is Redis's only client then) over the requests served.",
    ],
    notes: QUICK ? [`BENCH_QUICK: ${DURATION_S} s runs and ${RSS_EVENTS} events for RSS.`] : [],
  };
}
