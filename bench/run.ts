/**
 * `pnpm bench`: runs the selected sections one after another and writes BENCHMARKS.md at the
 * repository root. BENCH_QUICK=1 for a smoke run, BENCH_ONLY=ingest,pipeline,scaleout,limiter,latency
 * to select sections (burst and cluster too); BENCH_OUTPUT=<path> writes the report there instead. Talks only to 127.0.0.1 (Redis, PostgreSQL, its own child processes).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import { Redis } from 'ioredis';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@wrapup/shared/testing';
import { burstSection } from './burst';
import { clusterSection } from './cluster';
import { intakeSection } from './intake';
import { intakePeer } from './intake-peer';
import { latencySection } from './latency';
import { QUICK, machineInfo, repoPath, selectedSections, type SectionId } from './lib/env';
import { renderMarkdown, type FailedSection, type SectionResult } from './lib/report';
import { limiterSection } from './limiter';
import { pipelineSection } from './pipeline';
import { scaleoutSection } from './scaleout';
import { workerCpuPerRun } from './worker-cpu';

type Runner = (log: (line: string) => void) => Promise<SectionResult>;

const SECTIONS: Record<SectionId, { title: string; run: Runner }> = {
  ingest: { title: '1. Intake', run: intakeSection },
  pipeline: { title: '2. Pipeline throughput', run: pipelineSection },
  scaleout: { title: '3. Scale-out', run: scaleoutSection },
  limiter: { title: '4. Rate limiter precision', run: limiterSection },
  latency: { title: '5. Latency overhead', run: latencySection },
  burst: { title: '6. Burst: the Genesys API budget', run: burstSection },
  cluster: { title: '7. Redis Cluster beside one Redis', run: clusterSection },
};

/** Measurements added to a section's result after it ran (issue 16): their rows, figures and targets. */
const EXTRAS: Partial<
  Record<SectionId, (result: SectionResult, log: (line: string) => void) => Promise<SectionResult>>
> = { ingest: intakePeer, scaleout: workerCpuPerRun };

const log = (line: string) => process.stdout.write(`${line}\n`);

for (const url of [TEST_REDIS_URL, TEST_DATABASE_URL]) {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost')
    throw new Error(`the bench talks only to 127.0.0.1; got ${url}`);
}

async function versions(): Promise<{ redis: string; postgres: string }> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
  try {
    await redis.connect();
    const info = await redis.info('server');
    const { rows } = await pool.query<{ server_version: string }>('show server_version');
    return {
      redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
      postgres: rows[0]?.server_version ?? 'unknown',
    };
  } finally {
    redis.disconnect();
    await pool.end();
  }
}

const ids = selectedSections();
const machine = machineInfo(await versions());
log(`wrapup bench${QUICK ? ' (BENCH_QUICK)' : ''}: ${ids.join(', ')}`);
log(
  `${machine.cpu}, ${machine.cores} cores, ${machine.ramGb} GiB; Node ${machine.node}, Redis ${machine.redis}, PostgreSQL ${machine.postgres}; commit ${machine.commit}`,
);

const started = Date.now();
const results: SectionResult[] = [];
const failed: FailedSection[] = [];
for (const id of ids) {
  const { title, run } = SECTIONS[id];
  log(`\n${title}`);
  const t0 = Date.now();
  const load0 = loadavg()[0] ?? 0;
  try {
    let result = await run(log);
    const extra = EXTRAS[id];
    if (extra) result = await extra(result, log);
    result.wallMs = Date.now() - t0;
    result.load = [load0, loadavg()[0] ?? 0];
    results.push(result);
    log(`=> ${result.summary}`);
    for (const t of result.targets)
      log(`   ${t.pass ? 'PASS' : 'MISS'} ${t.name}: ${t.value} (target ${t.target})`);
  } catch (err) {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    failed.push({ id, title, error });
    log(`=> FAILED: ${error}`);
  }
}

const durationMs = Date.now() - started;
const path = process.env.BENCH_OUTPUT?.trim() || repoPath('BENCHMARKS.md');
writeFileSync(
  path,
  renderMarkdown({ machine, quick: QUICK, durationMs, sections: results, failed }),
);
log(`\nwrote ${path} in ${(durationMs / 60_000).toFixed(1)} min`);
process.exit(failed.length > 0 ? 1 : 0);
