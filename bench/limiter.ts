import { measureWindows } from '@wrapup/worker';
import { waitFor } from '@wrapup/shared/testing';
import { QUICK, size } from './lib/env';
import { finishCampaigns, withPipelineLab, workerEnv } from './lib/lab';
import { SIM_SHAPE } from './lib/pipeline-run';
import { WORKER_MAIN, waitForWorkers } from './lib/procs';
import { fmt, type SectionResult } from './lib/report';

const MAX_RPS = 20;
const BURST = 1;
const TARGET_SHARE = 0.9;

interface LimiterRun {
  procs: number;
  calls: number;
  spanMs: number;
  rate: number;
  maxWindow: number;
  status429: number;
}

async function measureLimiter(procs: number, runs: number): Promise<LimiterRun> {
  const sim = { rateLimitPerMinute: 100_000_000, analyticsLagMs: 0 };
  return withPipelineLab(`limiter${procs}`, sim, async ({ lab, group, queues, ingest }) => {
    const campaigns = await finishCampaigns(lab.sim, runs, SIM_SHAPE(runs));
    await ingest.ready();
    await queues.analytics.pause();
    await ingest.deliverAll(campaigns, 50);
    group.start(
      WORKER_MAIN,
      // one query per run: batched checks would make too few calls to load the limiter
      workerEnv(lab, { GENESYS_MAX_RPS: MAX_RPS, GENESYS_BURST: BURST, ANALYTICS_BATCH: 'false' }),
      procs,
    );
    for (const q of ['analytics', 'warehouse', 'notify'])
      await waitForWorkers(lab.redis.redisUrl, lab.redis.prefix, q, procs, group);
    await lab.sim.resetLog();
    await queues.analytics.resume();
    await waitFor(
      async () => {
        group.checkAlive('a worker process');
        const { rows } = await lab.pg.pool.query<{ n: number }>(
          `select count(*)::int as n from ${lab.pg.table()}`,
        );
        return (rows[0]?.n ?? 0) >= runs;
      },
      {
        timeoutMs: 60_000 + (runs * 3 * 1000) / MAX_RPS,
        intervalMs: 200,
        what: `${runs} warehouse rows`,
      },
    );
    const entries = await lab.sim.requestLog();
    const m = measureWindows(entries.map((e) => Date.parse(e.time)));
    return {
      procs,
      calls: m.count,
      spanMs: m.spanMs,
      rate: m.ratePerSecond,
      maxWindow: m.maxInAnyWindow,
      status429: entries.filter((e) => e.status === 429).length,
    };
  });
}

/** Section 4: the shared Redis limiter with 1, 2 and 4 worker processes on a backlog. */
export async function limiterSection(log: (line: string) => void): Promise<SectionResult> {
  const runs = size(150, 50);
  const out: LimiterRun[] = [];
  for (const procs of [1, 2, 4]) {
    log(
      `  ${procs} worker process(es), backlog of ${runs} runs, GENESYS_MAX_RPS=${MAX_RPS} burst ${BURST}`,
    );
    const r = await measureLimiter(procs, runs);
    log(
      `    ${r.calls} calls in ${fmt.s(r.spanMs)}: ${fmt.n(r.rate, 2)}/s (${fmt.ratio(r.rate / MAX_RPS)} of the rate), worst 1 s window ${r.maxWindow}`,
    );
    out.push(r);
  }
  const cap = MAX_RPS + BURST;
  const worstShare = Math.min(...out.map((r) => r.rate / MAX_RPS));
  const worstWindow = Math.max(...out.map((r) => r.maxWindow));
  return {
    id: 'limiter',
    title: '4. Rate limiter precision',
    summary: `achieved/configured ${out.map((r) => fmt.ratio(r.rate / MAX_RPS)).join(' / ')} with 1/2/4 processes; worst 1 s window ${out.map((r) => r.maxWindow).join(' / ')} (cap ${cap})`,
    tables: [
      {
        headers: [
          'worker processes',
          'Genesys calls',
          'busy period',
          'achieved calls/s',
          'achieved / configured',
          'largest count in any 1 s window',
          'rate + burst',
          '429 answers',
        ],
        rows: out.map((r) => [
          r.procs,
          r.calls,
          fmt.s(r.spanMs),
          fmt.n(r.rate, 2),
          fmt.ratio(r.rate / MAX_RPS),
          r.maxWindow,
          cap,
          r.status429,
        ]),
      },
    ],
    targets: [
      {
        name: 'achieved / configured rate (worst of 1, 2, 4 processes)',
        value: fmt.ratio(worstShare),
        target: `>= ${TARGET_SHARE}`,
        pass: worstShare >= TARGET_SHARE,
      },
      {
        name: 'largest one-second window (worst of 1, 2, 4 processes)',
        value: String(worstWindow),
        target: `<= ${cap} (rate + burst)`,
        pass: worstWindow <= cap,
      },
    ],
    method: [
      `A backlog of ${runs} finished campaigns (events through the real ingest in process, analytics queue paused) is drained by 1, 2 and 4 production worker processes with GENESYS_MAX_RPS=${MAX_RPS}, GENESYS_BURST=${BURST} and WORKER_CONCURRENCY=10, with ANALYTICS_BATCH=false (one query per run: this measures the limiter, and batched checks make too few calls to load it; section 6 measures batching); the simulator itself allows far more (so it never answers 429 unless the limiter leaks).`,
      "The simulator's request log (every token and API call as it arrived, ISO time) is cleared when the queue is resumed and read once every run is in PostgreSQL. Busy period = first to last call; achieved rate = (calls - 1) / busy period; the worst window slides over every call start (`measureWindows` from @wrapup/worker).",
    ],
    notes: QUICK ? [`BENCH_QUICK: ${runs} runs per measurement instead of 150.`] : [],
  };
}
