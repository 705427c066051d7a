/**
 * Test support for the warehouse and notify stages (imported by tests only): sample reports and
 * runs, and the Redis + PostgreSQL + workers fixture the processor tests share. Real services, no mocks.
 * Local JSON receivers and the cuttable TCP proxy are in @wrapup/shared/testing.
 */
import { randomBytes } from 'node:crypto';
import {
  REPORT_GENERATED_BY,
  REPORT_VERSION,
  reportIdFor,
  runIdFor,
  type Report,
} from '@wrapup/shared';
import { RunStore } from '@wrapup/runs';
import {
  createPgFixture,
  createRedisFixture,
  type PgFixture,
  type RedisFixture,
} from '@wrapup/shared/testing';
import { createLogger } from '../logger';
import { startWorkers, type RunningWorkers, type StartWorkersDeps } from '../workers';
import { createNotifier } from '../clients/notify/notifier';
import {
  createWarehouseSink,
  type SinkOptions,
  type WarehouseSink,
} from '../clients/sinks/factory';

export interface SampleOptions {
  status?: 'completed' | 'stopped';
  campaignId?: string;
  occurredAt?: string;
  complete?: boolean;
}

/**
 * A report as v2.0 wrote it (still valid, e.g. one sitting in a queue across the upgrade):
 * metadata.version 2.0 and none of the v2.1 fields.
 */
export function sampleReportV20(opts: SampleOptions = {}): { runId: string; report: Report } {
  const status = opts.status ?? 'completed';
  const campaignId = opts.campaignId ?? `camp-${randomBytes(4).toString('hex')}`;
  const occurredAt = opts.occurredAt ?? '2023-10-27T14:30:00.000Z';
  const runId = runIdFor(campaignId, occurredAt);
  const complete = opts.complete ?? true;
  return {
    runId,
    report: {
      reportId: reportIdFor(runId),
      campaignId,
      completionTimestamp: occurredAt,
      metrics: {
        totalCallsAttempted: 1500,
        successfulContacts: 450,
        contactRate: 0.3,
        avgHandleTimeSeconds: 120.5,
        status,
      },
      metadata: { generatedBy: REPORT_GENERATED_BY, version: '2.0' },
      endTime: status === 'completed' ? occurredAt : null,
      dataComplete: complete,
      expectedCount: 1500,
      observedCount: complete ? 1500 : 1200,
      waitedMs: 30_000,
      interval: '2023-10-27T08:25:00.000Z/2023-10-27T14:35:00.000Z',
      generatedAt: '2023-10-27T14:31:00.123Z',
    },
  };
}

/**
 * The current (v2.1) report with every field: v2.0's as in sampleReportV20, plus abandons,
 * talk/hold/ACW, wrap-up codes, completeness, window, revision and final (abandon rate 0.02:
 * under the default ABANDON_RATE_LIMIT).
 */
export function sampleReport(opts: SampleOptions & { revision?: number; final?: boolean } = {}): {
  runId: string;
  report: Report;
} {
  const { runId, report } = sampleReportV20(opts);
  const complete = report.dataComplete;
  return {
    runId,
    report: {
      ...report,
      metrics: {
        ...report.metrics,
        connectedCalls: 450,
        connectRate: 0.3,
        abandonedCalls: 9,
        abandonRate: 0.02,
        handledCalls: 441,
        avgTalkSeconds: 95.25,
        avgHoldSeconds: 12.5,
        avgAcwSeconds: 12.75,
      },
      metadata: { generatedBy: REPORT_GENERATED_BY, version: REPORT_VERSION },
      wrapUpCodes: [
        { code: 'SALE', count: 200 },
        { code: 'NOT_INTERESTED', count: 180 },
        { code: '(none)', count: 61 },
      ],
      completeness: {
        verdict: complete ? 'settled' : 'max-wait',
        rule: { settleMs: 60_000, requireHandled: true },
        expectedContacts: 1500,
        expectedFrom: 'event',
        attemptsReachedContacts: complete,
        allConnectedHandled: complete,
        stableForMs: complete ? 60_000 : 0,
        checks: complete ? 3 : 11,
      },
      window: {
        start: '2023-10-27T08:25:00.000Z',
        end: '2023-10-27T14:35:00.000Z',
        startFrom: 'duration',
        endFrom: 'tail',
      },
      revision: opts.revision ?? 1,
      final: opts.final ?? false,
    },
  };
}

/**
 * The v2.1 figures of sampleReport as warehouse columns (the same whatever its status,
 * completeness, revision or final; completeness_verdict follows `complete`).
 */
export const SAMPLE_V21_FIGURES = {
  connect_rate: 0.3,
  abandoned_calls: 9,
  abandon_rate: 0.02,
  handled_calls: 441,
  avg_talk_seconds: 95.25,
  avg_hold_seconds: 12.5,
  avg_acw_seconds: 12.75,
};

/** A run known to the RunStore (as the ingest would record it) with its report. */
export async function sampleRun(
  runs: RunStore,
  opts: Parameters<typeof sampleReport>[0] = {},
): Promise<{ runId: string; report: Report }> {
  const sample = sampleReport(opts);
  const result = await runs.intake({
    eventId: `evt-${randomBytes(6).toString('hex')}`,
    campaignId: sample.report.campaignId,
    status: sample.report.metrics.status,
    occurredAt: sample.report.completionTimestamp,
    now: new Date().toISOString(),
  });
  if (result.outcome === 'ignored' || result.runId !== sample.runId) {
    throw new Error(`intake did not start run ${sample.runId}: ${JSON.stringify(result)}`);
  }
  return sample;
}

/** Worker settings a test may set; the rest comes from the fixture. */
export type WorkerOverrides = Partial<Omit<StartWorkersDeps, 'redisUrl' | 'prefix'>>;

export interface WarehouseWorkers {
  redisFx: RedisFixture;
  pgFx: PgFixture;
  runs: RunStore;
  sink: WarehouseSink;
  /** The workers started by the fixture or by start(); throws before that. */
  readonly running: RunningWorkers;
  /** Starts the warehouse and notify workers (once) with the fixture's defaults and `overrides`. */
  start(overrides?: WorkerOverrides): Promise<RunningWorkers>;
  /** Closes the workers, the sink, then cleans up Redis and PostgreSQL. */
  close(): Promise<void>;
}

const silent = createLogger({ level: 'silent' });

/**
 * Redis and PostgreSQL fixtures (named `name`), a RunStore, a warehouse sink (the fixture's table,
 * at `warehouseUrl` or the fixture's database) and, unless `workers` is false, the warehouse and
 * notify workers (concurrency 2, notifier timeout 2 s, `notifyUrls`) with `workers` overrides.
 */
export async function startWarehouseWorkers(opts: {
  name: string;
  notifyUrls?: string[];
  /** Where the sink writes, e.g. a proxy in front of the fixture's database or an HTTP receiver. */
  warehouseUrl?: (pgFx: PgFixture) => string | Promise<string>;
  sinkOptions?: SinkOptions;
  workers?: WorkerOverrides | false;
}): Promise<WarehouseWorkers> {
  const [redisFx, pgFx] = await Promise.all([
    createRedisFixture(opts.name),
    createPgFixture(opts.name),
  ]);
  const runs = new RunStore(redisFx.redis, {
    prefix: redisFx.prefix,
    dedupeTtlSeconds: 600,
    retentionSeconds: 600,
    startTtlSeconds: 600,
  });
  const url = opts.warehouseUrl ? await opts.warehouseUrl(pgFx) : pgFx.databaseUrl;
  const sink = createWarehouseSink(
    { url, table: pgFx.table(), dataDir: '' },
    silent,
    opts.sinkOptions,
  );
  let running: RunningWorkers | undefined;
  const fixture: WarehouseWorkers = {
    redisFx,
    pgFx,
    runs,
    sink,
    get running() {
      if (!running) throw new Error('workers not started');
      return running;
    },
    async start(overrides = {}) {
      if (running) throw new Error('workers already started');
      running = await startWorkers({
        redisUrl: redisFx.redisUrl,
        prefix: redisFx.prefix,
        concurrency: 2,
        sink,
        notifier: createNotifier({ timeoutMs: 2_000 }),
        runs,
        notifyUrls: opts.notifyUrls ?? [],
        logger: silent,
        ...overrides,
      });
      return running;
    },
    async close() {
      await running?.close(5_000);
      await sink.close();
      await Promise.all([redisFx.cleanup(), pgFx.cleanup()]);
    },
  };
  if (opts.workers !== false) await fixture.start(opts.workers);
  return fixture;
}
