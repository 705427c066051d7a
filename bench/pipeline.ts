import { cpus } from 'node:os';
import { QUICK, size } from './lib/env';
import { runNoopBaseline, runRealPipeline, type DrainFigures } from './lib/pipeline-run';
import { fmt, type SectionResult } from './lib/report';

const TARGET_RATIO = 0.3;

/** Section 2: 10,000 finished campaigns through two worker processes vs bare BullMQ no-op workers. */
export async function pipelineSection(log: (line: string) => void): Promise<SectionResult> {
  const runs = size(10_000, 1_000);
  const procs = 2;
  log(`  real pipeline: ${runs} runs, ${procs} worker processes`);
  const real = await runRealPipeline({ label: 'pipeline', runs, procs, log });
  log(`    delivered in ${fmt.s(real.deliveredMs)} = ${fmt.n(real.runsPerSecond)} runs/s`);
  log(`  bare BullMQ no-op chain: ${runs} runs, ${procs} processes`);
  const floor = await runNoopBaseline({ runs, procs });
  log(`    done in ${fmt.s(floor.doneMs)} = ${fmt.n(floor.runsPerSecond)} runs/s`);
  const ratio = real.runsPerSecond / floor.runsPerSecond;
  const growth = real.redisAfter - real.redisBefore;
  const cpu = (s: number | undefined, n: number) =>
    s === undefined ? 'n/a' : `${fmt.n(s, 1)} s (${fmt.n((s * 1000) / n, 2)} ms/run)`;
  const row = (label: string, r: DrainFigures, ms: number) => [
    label,
    r.runs,
    `${r.procs} x ${r.concurrency}`,
    fmt.s(ms),
    fmt.n(r.runsPerSecond),
    cpu(r.workerCpuSeconds, r.runs),
  ];

  return {
    id: 'pipeline',
    title: '2. Pipeline throughput',
    summary: `pipeline ${fmt.n(real.runsPerSecond)} runs/s vs bare BullMQ ${fmt.n(floor.runsPerSecond)} runs/s: ratio ${fmt.ratio(ratio)} (target >= ${TARGET_RATIO})`,
    tables: [
      {
        headers: [
          '',
          'runs',
          'processes x concurrency',
          'time to last delivery',
          'runs/s',
          'worker CPU',
        ],
        rows: [
          row('wrapup (analytics -> PostgreSQL warehouse -> notify)', real, real.deliveredMs),
          row('bare BullMQ, three no-op jobs per run', floor, floor.doneMs),
        ],
      },
      {
        headers: ['figure', 'value'],
        rows: [
          ['ratio wrapup / bare BullMQ (runs/s)', fmt.ratio(ratio)],
          ['every notification received after', fmt.s(real.notifiedMs)],
          [
            'CPU during the wrapup drain: workers / bench process (simulator, receiver) / redis-server',
            `${real.workerCpuSeconds === undefined ? 'n/a' : fmt.n(real.workerCpuSeconds, 1)} s / ${fmt.n(real.benchCpuSeconds, 1)} s / ${real.redisCpuSeconds === undefined ? 'n/a' : fmt.n(real.redisCpuSeconds, 1)} s over ${fmt.s(real.deliveredMs)} on ${cpus().length} cores`,
          ],
          [
            'Genesys API calls (simulator log)',
            real.genesysCalls >= 10_000
              ? `>= ${real.genesysCalls} (the simulator keeps only its last 10,000 log entries; 2 per run in section 3)`
              : `${real.genesysCalls} (${fmt.n(real.genesysCalls / real.runs, 2)} per run)`,
          ],
          [
            'ingest intake while the queue was paused',
            `${fmt.n(real.enqueuePerSecond)} events/s (in process, 50 in flight)`,
          ],
          ['Redis used_memory before the events', fmt.mb(real.redisBefore)],
          ['Redis used_memory after every run was delivered', fmt.mb(real.redisAfter)],
          ['growth', `${fmt.mb(growth)} (${fmt.n(growth / real.runs)} bytes per run)`],
        ],
      },
    ],
    targets: [
      {
        name: 'pipeline / bare BullMQ runs per second',
        value: fmt.ratio(ratio),
        target: `>= ${TARGET_RATIO}`,
        pass: ratio >= TARGET_RATIO,
      },
    ],
    method: [
      `${runs} campaigns are created in the simulated Genesys Cloud (in the bench process; analytics lag 0, rate limit 100,000,000/min) and run to completion; all ${runs} finish events arrive at once as a backlog (well within a minute).`,
      "The simulator answers an aggregates query by scanning every conversation it holds, so at this scale the test double would dominate the CPU: each campaign has 1 contact (60 s duration) and the simulated finish timestamps are 1 s apart, ending now (~660 other campaigns fall into a query's 11-minute interval instead of all of them). The events, jobs, API calls and rows per run are the same as with bigger campaigns; only the simulator's aggregation work shrinks.",
      'Their guide-shaped finish events go through the real ingest app (API-key auth, parse, one-round-trip dedupe, analytics queue add) called in process via `app.fetch`, 50 in flight, while the analytics queue is paused, so the backlog is complete before the clock starts.',
      `${procs} production worker processes (\`apps/worker/src/main.ts\`, env only: GENESYS_MAX_RPS=5000, GENESYS_BURST=50, WORKER_CONCURRENCY=10 per queue, PostgreSQL warehouse, NOTIFY_URLS = a 204 receiver in the bench process, LOG_LEVEL=warn) are up before the queue is resumed; the time runs from the resume to the latest \`written_at\` once the table holds every row (polled every 100 ms). Each run makes the campaign and analytics calls to the simulator, writes and reads back its row, and sends one notification (three jobs per run).`,
      `The floor: ${procs} processes of bench/servers/noop-worker.ts (bare BullMQ Workers on the same three queue names, concurrency 10 each, the same job options and retention) where analytics adds a warehouse job, warehouse adds a notify job and notify does nothing; the same pause, bulk add of ${runs} analytics jobs of the same size, resume, and time until ${runs} notify jobs completed. Same Redis, same run, its own prefix.`,
    ],
    notes: [
      `Retention: completed jobs are kept (removeOnComplete age 7 days, at most 50,000 per queue) and run records for RUN_RETENTION_HOURS, so Redis grows about ${fmt.n(growth / real.runs)} bytes per run until those bounds and then stays flat; the bench deletes its prefix afterwards.`,
      'Worker CPU is user+system time of the worker processes during the drain (from /proc). On 2 cores the simulator, Redis, PostgreSQL and the bench share the CPU with the workers.',
      ...(QUICK ? ['BENCH_QUICK: 1,000 runs instead of 10,000.'] : []),
    ],
  };
}
