import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@wrapup/shared/testing';
import { QUICK, size } from './lib/env';
import { InProcessIngest, finishCampaigns, openLab, workerEnv, type Finished } from './lib/lab';
import { ProcessGroup, WORKER_MAIN, waitForWorkers } from './lib/procs';
import { fmt, type SectionResult } from './lib/report';

const LAG_MS = 2_000;
const RETRY_MS = 100;
/** ANALYTICS_SETTLE_MS: longer than the lag (see the worker env below). */
const SETTLE_MS = LAG_MS + 500;
const PER_SECOND = 20;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/** Section 5: from "analytics complete in the simulator" to the confirmed warehouse row. */
export async function latencySection(log: (line: string) => void): Promise<SectionResult> {
  const runs = size(200, 60);
  const lab = await openLab('latency', { rateLimitPerMinute: 100_000_000, analyticsLagMs: LAG_MS });
  const group = new ProcessGroup();
  const ingest = new InProcessIngest(lab.redis.redisUrl, lab.redis.prefix);
  const finished = new Map<string, Finished>();
  let latencies: number[] = [];
  let incomplete = 0;
  let calls: number;
  try {
    await ingest.ready();
    group.start(
      WORKER_MAIN,
      workerEnv(lab, {
        ANALYTICS_RETRY_DELAY_MS: RETRY_MS,
        // longer than the lag: metrics become visible one by one at their own time + lag, so a
        // shorter settle could take a pause between two of them for the end
        ANALYTICS_SETTLE_MS: SETTLE_MS,
        GENESYS_MAX_RPS: 2000,
        GENESYS_BURST: 50,
      }),
      2,
    );
    for (const q of ['analytics', 'warehouse', 'notify'])
      await waitForWorkers(lab.redis.redisUrl, lab.redis.prefix, q, 2, group);
    log(
      `  ${runs} campaigns finishing at ${PER_SECOND}/s, analytics lag ${LAG_MS} ms, ANALYTICS_RETRY_DELAY_MS=${RETRY_MS}, 2 worker processes`,
    );
    const started = Date.now();
    for (let i = 0; i < runs; i++) {
      const due = started + (i * 1000) / PER_SECOND;
      if (due > Date.now()) await sleep(due - Date.now());
      const [c] = await finishCampaigns(lab.sim, 1, { endAt: Date.now() });
      finished.set(c!.id, c!);
      await ingest.deliver(c!);
    }
    const rows = await waitFor(
      async () => {
        group.checkAlive('a worker process');
        const res = await lab.pg.pool.query<{
          campaign_id: string;
          written_at: Date;
          complete: boolean;
          total_calls_attempted: number;
        }>(
          `select campaign_id, written_at, complete, total_calls_attempted from ${lab.pg.table()}`,
        );
        return res.rows.length >= runs ? res.rows : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200, what: `${runs} warehouse rows` },
    );
    for (const row of rows) {
      const c = finished.get(row.campaign_id);
      if (!c) throw new Error(`unexpected row for campaign ${row.campaign_id}`);
      if (!row.complete || row.total_calls_attempted !== c.attempted) incomplete += 1;
      latencies.push(row.written_at.getTime() - Date.parse(c.visibleAt));
    }
    calls = (await lab.sim.requestLog()).length;
  } finally {
    await group.stop();
    await ingest.close();
    await lab.cleanup();
  }
  latencies = latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  return {
    id: 'latency',
    title: '5. Latency overhead',
    summary: `analytics complete -> confirmed warehouse row: p50 ${fmt.ms(p50)}, p99 ${fmt.ms(p99)} (retry delay ${RETRY_MS} ms)`,
    tables: [
      {
        headers: [
          'runs',
          'min',
          'p50',
          'p90',
          'p99',
          'max',
          'complete reports with the right count',
          'Genesys calls per run',
        ],
        rows: [
          [
            latencies.length,
            fmt.ms(latencies[0] ?? NaN),
            fmt.ms(p50),
            fmt.ms(percentile(latencies, 90)),
            fmt.ms(p99),
            fmt.ms(latencies.at(-1) ?? NaN),
            `${latencies.length - incomplete} / ${latencies.length}`,
            fmt.n(calls / Math.max(1, runs), 1),
          ],
        ],
      },
    ],
    targets: [
      {
        name: "every report complete with the simulator's count",
        value: `${latencies.length - incomplete} / ${runs}`,
        target: `${runs} / ${runs}`,
        pass: incomplete === 0 && latencies.length === runs,
      },
    ],
    method: [
      `${runs} campaigns finish one after another at ${PER_SECOND} per second in the simulator (analyticsLagMs=${LAG_MS}: a conversation shows in the aggregates ${LAG_MS} ms after it ends); each finish event is delivered at once through the real ingest (in process), as Genesys would send it.`,
      `2 production worker processes with ANALYTICS_RETRY_DELAY_MS=${RETRY_MS} (backoff factor 1), ANALYTICS_SETTLE_MS=${SETTLE_MS} (longer than the lag: each metric becomes visible at its own time plus the lag, so a settle shorter than the lag can mistake a pause between two of them for the end), the default batching (ANALYTICS_BATCH, 250 ms window), GENESYS_MAX_RPS=2000: each run checks the aggregates, waits ${RETRY_MS} ms with moveToDelayed while they are incomplete or not settled, then builds the report, writes and reads back its PostgreSQL row and notifies.`,
      "Latency = the row's `written_at` minus the moment the simulator's aggregates became complete for that campaign (`expected().visibleAt` = last conversation end + lag), so it includes the settle time (the counts must stay unchanged that long after they are complete), the batch window and the polling interval. A report counts as right when it is complete and its attempts equal the simulator's (a contact may be dialled more than once).",
    ],
    notes: [
      'No target is set for this figure in the issue; it is reported against the configured retry delay.',
      ...(QUICK ? [`BENCH_QUICK: ${runs} runs instead of 200.`] : []),
    ],
  };
}
