/**
 * Runs in every stage for the reports console's tests (imported by tests only): recorded with the
 * run store's own calls, the delivered ones with their report kept as the warehouse stage keeps it
 * (RunStore.setStage with `report`).
 */
import { randomBytes } from 'node:crypto';
import {
  RUN_STAGES,
  buildReport,
  reportIdFor,
  zeroCounts,
  type HourlyPoint,
  type Report,
  type RunStage,
} from '@wrapup/shared';
import type { RunStore, StageStep } from '@wrapup/runs';

/** The hourly series of the seeded reports: 08:00 to 11:59 UTC (the window 08:00–12:00). */
export const SEED_HOURLY: HourlyPoint[] = [
  { hour: '2024-05-01T08:00:00.000Z', attempted: 120, connected: 48, abandoned: 3 },
  { hour: '2024-05-01T09:00:00.000Z', attempted: 300, connected: 96, abandoned: 5 },
  { hour: '2024-05-01T10:00:00.000Z', attempted: 0, connected: 0, abandoned: 0 },
  { hour: '2024-05-01T11:00:00.000Z', attempted: 180, connected: 60, abandoned: 4 },
];
export const SEED_INTERVAL = '2024-05-01T08:00:00.000Z/2024-05-01T12:00:00.000Z';

/**
 * A v2.1 report of `runId` with a name, an hourly series (SEED_HOURLY unless given; null: none)
 * and wrap-up codes; its figures are the series' sums, its window the series' hours.
 */
export function seedReport(
  runId: string,
  campaignId: string,
  over: { campaignName?: string; complete?: boolean; hourly?: HourlyPoint[] | null } = {},
): Report {
  const hourly = over.hourly === undefined ? SEED_HOURLY : over.hourly;
  const sum = (k: 'attempted' | 'connected' | 'abandoned') =>
    (hourly ?? SEED_HOURLY).reduce((n, p) => n + p[k], 0);
  const series = hourly ?? SEED_HOURLY;
  const lastHour = series[series.length - 1]?.hour;
  const interval =
    hourly && series[0] && lastHour
      ? `${series[0].hour}/${new Date(Date.parse(lastHour) + 3_600_000).toISOString()}`
      : SEED_INTERVAL;
  const [windowStart = '', windowEnd = ''] = interval.split('/');
  const connected = sum('connected');
  const abandoned = sum('abandoned');
  const complete = over.complete ?? true;
  const report = buildReport({
    runId,
    campaignId,
    status: 'completed',
    occurredAt: '2024-05-01T11:30:00.000Z',
    counts: {
      ...zeroCounts(),
      attempted: sum('attempted'),
      connected,
      abandoned,
      handleCount: connected - abandoned,
      handleSumMs: (connected - abandoned) * 95_500,
      talkCount: connected - abandoned,
      talkSumMs: (connected - abandoned) * 72_000,
      heldCount: Math.round((connected - abandoned) / 5),
      heldSumMs: Math.round((connected - abandoned) / 5) * 30_000,
      acwCount: connected - abandoned,
      acwSumMs: (connected - abandoned) * 14_000,
      wrapUps: wrapUpsOf(connected - abandoned),
    },
    expectedCount: complete ? sum('attempted') : sum('attempted') + 100,
    waitedMs: 95_000,
    interval,
    complete,
    generatedAt: '2024-05-01T11:33:00.000Z',
    completeness: {
      verdict: complete ? 'settled' : 'max-wait',
      rule: { settleMs: 60_000, requireHandled: true },
      expectedContacts: complete ? sum('attempted') : sum('attempted') + 100,
      expectedFrom: 'progress',
      attemptsReachedContacts: complete,
      allConnectedHandled: true,
      stableForMs: 61_000,
      checks: 4,
    },
    window: {
      start: windowStart,
      end: windowEnd,
      startFrom: 'duration',
      endFrom: 'tail',
    },
  });
  return {
    ...report,
    ...(over.campaignName !== undefined && { campaignName: over.campaignName }),
    ...(hourly !== null && { hourly }),
  };
}

/** `handled` conversations by wrap-up code: 45% SALE, 25% a code with a comma and quotes, 20% CALLBACK, the rest none. */
function wrapUpsOf(handled: number): Record<string, number> {
  const sale = Math.round(handled * 0.45);
  const no = Math.round(handled * 0.25);
  const callback = Math.round(handled * 0.2);
  return {
    SALE: sale,
    'NOT_INTERESTED, "really"': no,
    CALLBACK: callback,
    '(none)': handled - sale - no - callback,
  };
}

/** The steps a run takes to reach `stage` (received is the intake's). */
const STEPS: Record<RunStage, RunStage[]> = {
  received: [],
  validating: ['validating'],
  waiting_for_analytics: ['validating', 'waiting_for_analytics'],
  delivering: ['validating', 'waiting_for_analytics', 'delivering'],
  delivered: ['validating', 'waiting_for_analytics', 'delivering', 'delivered'],
  incomplete: ['validating', 'waiting_for_analytics', 'delivering', 'incomplete'],
  rejected: ['validating', 'rejected'],
  failed: ['validating', 'waiting_for_analytics', 'delivering', 'failed'],
};

export interface SeededRun {
  runId: string;
  reportId: string;
  campaignId: string;
  stage: RunStage;
  report?: Report;
}

/**
 * One run of `campaignId` finishing at `occurredAt`, moved to `stage` (a second apart per step,
 * from `receivedAt`); a delivered or incomplete one keeps its report (see seedReport).
 */
export async function seedRun(
  runs: RunStore,
  opts: {
    campaignId: string;
    stage: RunStage;
    occurredAt: string;
    receivedAt?: string;
    campaignName?: string;
    hourly?: HourlyPoint[] | null;
  },
): Promise<SeededRun> {
  const receivedAt = opts.receivedAt ?? new Date().toISOString();
  const result = await runs.intake({
    eventId: `evt-${randomBytes(6).toString('hex')}`,
    campaignId: opts.campaignId,
    status: 'completed',
    occurredAt: opts.occurredAt,
    now: receivedAt,
    shape: 'guide',
  });
  if (result.outcome !== 'new') throw new Error(`no new run: ${JSON.stringify(result)}`);
  const { runId } = result;
  const reportId = reportIdFor(runId);
  const steps: StageStep[] = STEPS[opts.stage].map((stage, i) => ({
    stage,
    at: Date.parse(receivedAt) + (i + 1) * 1500,
  }));
  const seeded: SeededRun = { runId, reportId, campaignId: opts.campaignId, stage: opts.stage };
  if (steps.length === 0) return seeded;
  if (opts.stage === 'delivered' || opts.stage === 'incomplete') {
    const report = seedReport(runId, opts.campaignId, {
      ...(opts.campaignName !== undefined && { campaignName: opts.campaignName }),
      complete: opts.stage === 'delivered',
      ...(opts.hourly !== undefined && { hourly: opts.hourly }),
    });
    await runs.setStage(
      runId,
      steps,
      {
        reportId,
        expectedCount: report.expectedCount,
        observedCount: report.observedCount,
        outcome: opts.stage,
        revision: 1,
      },
      { report },
    );
    return { ...seeded, report };
  }
  const patch =
    opts.stage === 'failed'
      ? { lastError: 'warehouse answered 503 <Service Unavailable> & gave up', outcome: 'failed' }
      : opts.stage === 'rejected'
        ? { outcome: 'rejected: campaign not found in Genesys Cloud' }
        : opts.stage === 'delivering'
          ? { reportId }
          : {};
  await runs.setStage(runId, steps, patch);
  return seeded;
}

/** One run in each stage, of campaigns `${prefix}-<stage>`, received a minute apart (received newest). */
export async function seedEveryStage(
  runs: RunStore,
  prefix: string,
  campaignName = (stage: RunStage) => `Campaign ${stage}`,
): Promise<SeededRun[]> {
  const out: SeededRun[] = [];
  const base = Date.now() - RUN_STAGES.length * 60_000;
  for (const [i, stage] of [...RUN_STAGES].reverse().entries()) {
    out.push(
      await seedRun(runs, {
        campaignId: `${prefix}-${stage}`,
        stage,
        occurredAt: '2024-05-01T11:30:00.000Z',
        receivedAt: new Date(base + i * 60_000).toISOString(),
        campaignName: campaignName(stage),
      }),
    );
  }
  return out;
}
