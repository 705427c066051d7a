import { waitFor } from '@wrapup/shared/testing';
import { size, QUICK } from './lib/env';
import { InProcessIngest, QueueHandles, finishCampaigns, openLab, workerEnv } from './lib/lab';
import { ProcessGroup, WORKER_MAIN, tail, waitForWorkers } from './lib/procs';
import { fmt, type SectionResult } from './lib/report';

const QUEUES = ['analytics', 'warehouse', 'notify'] as const;
const LAG_MS = 20_000;
const RETRY_DELAY_MS = 2_000;
const MAX_RPS = 5;
const PROCS = 2;
const TARGET_CALLS_PER_REPORT = 0.2;
const TARGET_P99_MS = 2 * RETRY_DELAY_MS + 5_000;

interface BurstRun {
  batched: boolean;
  runs: number;
  rows: number;
  complete: number;
  /** Rows whose attempted, connected and handled counts equal the simulator's totals. */
  exact: number;
  /** Every simulator request (API calls and token requests). */
  calls: number;
  apiCalls: number;
  refused: number;
  /** Calls by kind: token, campaign lookups, progress, aggregates. */
  kinds: Record<string, number>;
  /** ms from each run's analytics being complete (and its event accepted) to its confirmed row. */
  latencies: number[];
  lastRowMs: number;
}

const KINDS = ['token', 'campaign', 'progress', 'aggregates', 'other'] as const;
const kindOf = (method: string, path: string): (typeof KINDS)[number] =>
  path.startsWith('/oauth')
    ? 'token'
    : path.startsWith('/api/v2/analytics/')
      ? 'aggregates'
      : path.endsWith('/progress')
        ? 'progress'
        : method === 'GET' && path.startsWith('/api/v2/outbound/campaigns')
          ? 'campaign'
          : 'other';

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number);

/**
 * One burst: `runs` campaigns finish within the same second in the simulator (analytics visible
 * LAG_MS after each call ends), their events go through the real ingest at once, and PROCS worker
 * processes (GENESYS_MAX_RPS=5 shared) report them, batched or not.
 */
async function runBurst(
  batched: boolean,
  runs: number,
  log: (line: string) => void,
): Promise<BurstRun> {
  const label = batched ? 'burst_batched' : 'burst_single';
  const lab = await openLab(label, {
    // the worker's shared limiter is the budget under test; the simulator does not add its own
    rateLimitPerMinute: 100_000,
    analyticsLagMs: LAG_MS,
    requestLogLimit: 1_000_000,
  });
  const group = new ProcessGroup();
  const queues = new QueueHandles(lab.redis.redisUrl, lab.redis.prefix);
  const ingest = new InProcessIngest(lab.redis.redisUrl, lab.redis.prefix);
  try {
    group.start(
      WORKER_MAIN,
      workerEnv(lab, {
        GENESYS_MAX_RPS: MAX_RPS,
        GENESYS_BURST: 1,
        ANALYTICS_RETRY_DELAY_MS: RETRY_DELAY_MS,
        // two checks one retry delay apart must agree
        ANALYTICS_SETTLE_MS: RETRY_DELAY_MS,
        ANALYTICS_BATCH: batched ? 'true' : 'false',
        // no reconciliation sweep: only the reports' own calls are counted
        RECONCILE_EVERY_MINUTES: 0,
      }),
      PROCS,
    );
    for (const q of QUEUES)
      await waitForWorkers(lab.redis.redisUrl, lab.redis.prefix, q, PROCS, group);
    await ingest.ready();

    // the campaigns end within one second from now (two contacts each, short calls)
    const campaigns = await finishCampaigns(lab.sim, runs, {
      contacts: 2,
      durationSeconds: 60,
      spreadMs: 900,
      // one dial per contact: the last dial (at the finish) completes the expected count, so the
      // completeness rule can only hold once the last calls are visible
      maxAttemptsPerContact: 1,
    });
    await lab.sim.resetLog();
    const t0 = Date.now();
    await ingest.deliverAll(campaigns, 50);
    const acceptedAt = Date.now();
    log(
      `    ${runs} events accepted in ${fmt.s(acceptedAt - t0)}; waiting for the rows (${batched ? 'batched' : 'one query per run'})`,
    );
    const table = lab.pg.table();
    await waitFor(
      async () => {
        group.checkAlive('a worker process');
        const { rows } = await lab.pg.pool.query<{ n: number }>(
          `select count(*)::int as n from ${table}`,
        );
        return (rows[0]?.n ?? 0) >= runs;
      },
      { timeoutMs: batched ? 300_000 : 1_500_000, intervalMs: 250, what: `${runs} rows` },
    ).catch(async (err: unknown) => {
      throw new Error(
        `${String(err)}; failed jobs: ${await queues.failed()}\n${group.procs.map((p) => tail(p.output(), 10)).join('\n')}`,
      );
    });
    const { rows } = await lab.pg.pool.query<{
      campaign_id: string;
      written_at: Date;
      complete: boolean;
      report: {
        metrics: { totalCallsAttempted: number; connectedCalls: number; handledCalls: number };
      };
    }>(`select campaign_id, written_at, complete, report from ${table}`);
    let exact = 0;
    for (const r of rows) {
      const e = await lab.sim.expected(r.campaign_id);
      const m = r.report.metrics;
      if (
        m.totalCallsAttempted === e.attempted &&
        m.connectedCalls === e.connected &&
        m.handledCalls === e.handled
      )
        exact += 1;
    }
    const readyAt = new Map(
      campaigns.map((c) => [c.id, Math.max(Date.parse(c.visibleAt), acceptedAt)]),
    );
    const latencies = rows
      .map((r) => r.written_at.getTime() - (readyAt.get(r.campaign_id) ?? Number.NaN))
      .sort((a, b) => a - b);
    const requests = await lab.sim.requestLog();
    const failed = await queues.failed();
    if (failed > 0) throw new Error(`${failed} job(s) failed during the burst`);
    return {
      batched,
      runs,
      rows: rows.length,
      complete: rows.filter((r) => r.complete).length,
      exact,
      calls: requests.length,
      apiCalls: requests.filter((r) => r.path.startsWith('/api/')).length,
      refused: requests.filter((r) => r.status === 400).length,
      kinds: Object.fromEntries(
        KINDS.map((k) => [k, requests.filter((r) => kindOf(r.method, r.path) === k).length]),
      ),
      latencies,
      lastRowMs: Math.max(...rows.map((r) => r.written_at.getTime())) - t0,
    };
  } finally {
    await group.stop();
    await ingest.close();
    await queues.close();
    await lab.cleanup();
  }
}

/** Section 6: the Genesys API budget when 500 campaigns finish in the same second. */
export async function burstSection(log: (line: string) => void): Promise<SectionResult> {
  const runs = size(500, 100);
  log(`  batched (ANALYTICS_BATCH=true): ${runs} campaigns`);
  const batched = await runBurst(true, runs, log);
  log(
    `    ${fmt.ratio(batched.calls / batched.rows)} calls/report, p99 ${fmt.s(quantile(batched.latencies, 0.99))}`,
  );
  log(`  one query per run (ANALYTICS_BATCH=false): ${runs} campaigns`);
  const single = await runBurst(false, runs, log);
  log(
    `    ${fmt.ratio(single.calls / single.rows)} calls/report, p99 ${fmt.s(quantile(single.latencies, 0.99))}`,
  );

  const perReport = batched.calls / batched.rows;
  const p99 = quantile(batched.latencies, 0.99);
  const row = (label: string, r: BurstRun) => [
    label,
    `${r.rows} / ${r.runs}`,
    `${r.complete} / ${r.rows}`,
    `${r.exact} / ${r.rows}`,
    `${r.calls} (${r.apiCalls} API, ${r.calls - r.apiCalls} token${r.refused > 0 ? `, ${r.refused} refused` : ''})`,
    fmt.ratio(r.calls / r.rows),
    fmt.s(quantile(r.latencies, 0.5)),
    fmt.s(quantile(r.latencies, 0.99)),
    fmt.s(r.latencies[r.latencies.length - 1] ?? Number.NaN),
    fmt.s(r.lastRowMs),
  ];
  return {
    id: 'burst',
    title: '6. Burst: the Genesys API budget',
    summary: `batched ${fmt.ratio(perReport)} calls/report, p99 ${fmt.s(p99)} analytics-complete to row; one query per run ${fmt.ratio(single.calls / single.rows)} calls/report, p99 ${fmt.s(quantile(single.latencies, 0.99))}`,
    tables: [
      {
        headers: [
          '',
          'rows',
          'complete',
          "the simulator's exact counts",
          'Genesys calls',
          'calls per report',
          'analytics complete -> row p50',
          'p99',
          'max',
          'last row after the events',
        ],
        rows: [
          row('batched (ANALYTICS_BATCH=true)', batched),
          row("one query per run (ANALYTICS_BATCH=false, today's path)", single),
        ],
      },
      {
        headers: ['Genesys calls by kind', ...KINDS],
        rows: [
          ['batched', ...KINDS.map((k) => batched.kinds[k] ?? 0)],
          ['one query per run', ...KINDS.map((k) => single.kinds[k] ?? 0)],
        ],
      },
    ],
    targets: [
      {
        name: 'Genesys calls per delivered report (batched)',
        value: fmt.ratio(perReport),
        target: `<= ${TARGET_CALLS_PER_REPORT}`,
        pass: perReport <= TARGET_CALLS_PER_REPORT,
      },
      {
        name: "every report delivered, complete, with the simulator's exact counts (batched)",
        value: `${Math.min(batched.complete, batched.exact)} / ${runs}`,
        target: `${runs} / ${runs}`,
        pass: batched.rows === runs && batched.complete === runs && batched.exact === runs,
      },
      {
        name: 'p99 analytics complete -> confirmed row (batched)',
        value: fmt.s(p99),
        target: `< ${fmt.s(TARGET_P99_MS)} (2 retry delays + 5 s)`,
        pass: p99 < TARGET_P99_MS,
      },
    ],
    method: [
      `${runs} simulated campaigns (two contacts each dialled once, 60 s runs) end within the same second; their finish events go through the real ingest (in this process) at once. The simulator makes each call's metrics visible ${LAG_MS / 1000} s after the call ends (analyticsLagMs).`,
      `${PROCS} production worker processes, GENESYS_MAX_RPS=${MAX_RPS} (GENESYS_BURST=1) shared through the Redis limiter, ANALYTICS_RETRY_DELAY_MS=${RETRY_DELAY_MS}, ANALYTICS_SETTLE_MS=${RETRY_DELAY_MS} (two checks one delay apart must agree), RECONCILE_EVERY_MINUTES=0 (no sweep: only the reports' own calls are counted), other settings at their defaults (ANALYTICS_BATCH_WINDOW_MS=250, ANALYTICS_CONCURRENCY=100, WORKER_CONCURRENCY=10, ANALYTICS_MAX_WAIT_MS=300000).`,
      'The same burst twice on fresh Redis prefixes, schemas and simulators: ANALYTICS_BATCH=true, then ANALYTICS_BATCH=false (one campaign lookup and one aggregates query per check per run, as before the batch).',
      "Genesys calls: every request in the simulator's log from the first event on, OAuth token requests included. Analytics complete -> row: a row's written_at minus the later of the simulator's `visibleAt` for that run (the time its aggregates hold every conversation) and the moment the last event was accepted. Exact counts: the row's attempted, connected and handled calls equal the simulator's totals for the campaign.",
      'The simulator enforces 100 predicates per aggregates filter and 100 ids per bulk campaign call (the numbers are unverified, see docs/platform-facts.md); a refused query would show in the calls column.',
    ],
    notes: [
      'The unbatched path spends one aggregates query per run and check: with 500 runs checking every 2 s it would need about 250 calls a second, 50 times the budget, so its checks queue behind the limiter and its reports arrive minutes after their data was ready.',
      ...(QUICK ? [`BENCH_QUICK: ${runs} campaigns instead of 500.`] : []),
    ],
  };
}
