/**
 * The chaos run (issue 8): two worker processes, 1,000 finish events (a third duplicates, a tenth
 * EventBridge-shaped) while workers are SIGKILLed, Redis is killed and restarted from its AOF, the
 * simulator answers 429/503, the warehouse is cut off and the notifier fails. Nothing may be lost
 * or doubled.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { reportIdFor } from '@wrapup/shared';
import type { StoredRun } from '@wrapup/runs';
import {
  CHAOS_API_KEY,
  RECEIVER_DOWN,
  RECEIVER_UP,
  startChaosStack,
  type ChaosStack,
} from './support/chaos-stack';
import { planTraffic, runTraffic, type SentEvent } from './support/chaos-traffic';
import {
  answersOf,
  deliveredNotifications,
  isFinal,
  pendingJobs,
  readRows,
  readRuns,
  runStoreFor,
  type WarehouseRow,
} from './support/chaos-observe';

const EVENTS = 1_000;
const TRAFFIC_SPAN_MS = 50_000;
const DRAIN_TIMEOUT_MS = 150_000;
/** Runs still open this long after every queue emptied are stuck. */
const STUCK_AFTER_MS = 15_000;
/** Slack after Redis is back before the ingest must stop answering 503 (it reconnects within 1 s). */
const REDIS_RECONNECT_SLACK_MS = 3_000;

interface Window {
  what: string;
  from: number;
  to: number;
}

let stack: ChaosStack;
const started = Date.now();

beforeAll(async () => {
  stack = await startChaosStack({
    workers: 2,
    workerConcurrency: 20,
    // Longer than a Redis restart (so a job finishing across it keeps its lock), short enough that
    // a SIGKILLed worker's jobs come back within ~2 lock periods. At 5 s, the 3-5 s Redis outage
    // expires locks and a notification sent just before it goes out twice.
    lockDurationMs: 15_000,
    analyticsLagMs: 300,
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
}, 30_000);

const sleepUntil = (t: number) => sleep(Math.max(0, t - Date.now()));

/** The faults, in order, relative to the start of the traffic. Returns the windows as they happened. */
async function chaos(
  t0: number,
): Promise<{ windows: Window[]; kills: { worker: number; at: number }[] }> {
  const windows: Window[] = [];
  const kills: { worker: number; at: number }[] = [];
  const open = (what: string) => {
    const w = { what, from: Date.now(), to: Number.NaN };
    windows.push(w);
    return () => (w.to = Date.now());
  };

  await sleepUntil(t0 + 4_000);
  stack.receiver.respondWith(RECEIVER_DOWN);
  const notifierBack = open('notifier answers 500');

  await sleepUntil(t0 + 9_000);
  // low enough that the batched checks (a few calls for many runs) still meet the 429s
  await stack.sim.setFaults({ rateLimitPerMinute: 5, retryAfterSeconds: 1 });
  const limitBack = open('simulator answers 429');

  // Jobs are short: kill while Genesys holds them up, so the victim surely has active jobs.
  await sleepUntil(t0 + 12_000);
  kills.push({ worker: 0, at: Date.now() });
  await stack.killAndRestartWorker(0);

  await sleepUntil(t0 + 16_000);
  await stack.sim.setFaults({
    rateLimitPerMinute: 1_000_000,
    retryAfterSeconds: null,
    faults: { errorRate: 0.5, errorStatus: 503 },
  });
  limitBack();
  const errorsBack = open('simulator answers 503 (half the calls)');

  await sleepUntil(t0 + 20_000);
  stack.proxy.cutOff();
  const warehouseBack = open('warehouse cut off');

  await sleepUntil(t0 + 24_000);
  await stack.sim.setFaults({ faults: {} });
  errorsBack();
  stack.receiver.respondWith(RECEIVER_UP);
  notifierBack();

  await sleepUntil(t0 + 30_000);
  stack.proxy.restore();
  warehouseBack();

  await sleepUntil(t0 + 34_000);
  const redisBack = open('redis killed (SIGKILL) and restarted from its AOF');
  await stack.redis.kill('SIGKILL');
  await sleepUntil(t0 + 37_000);
  await stack.redis.start();
  redisBack();

  await sleepUntil(t0 + 42_000);
  await stack.sim.setFaults({ faults: { latencyMs: 2_000 } });
  const slowBack = open('simulator answers after 2 s');
  await sleepUntil(t0 + 44_000);
  kills.push({ worker: 1, at: Date.now() });
  await stack.killAndRestartWorker(1);
  await sleepUntil(t0 + 46_000);
  await stack.sim.setFaults({ faults: {} });
  slowBack();
  return { windows, kills };
}

describe('chaos run', () => {
  it('loses no accepted event and doubles no row or notification while everything breaks', async () => {
    const plan = planTraffic({
      events: EVENTS,
      duplicateShare: 1 / 3,
      eventBridgeShare: 0.1,
      stoppedShare: 0.1,
      spanMs: TRAFFIC_SPAN_MS,
      maxDuplicateLagMs: 8_000,
    });
    onTestFailed(() => saveEvidence(stack));
    const t0 = Date.now();
    const [sent, { windows, kills }] = await Promise.all([
      runTraffic({
        sim: stack.sim,
        webhookUrl: stack.webhookUrl,
        apiKey: CHAOS_API_KEY,
        plan,
        concurrency: 20,
      }),
      chaos(t0),
    ]);
    const trafficDone = Date.now();
    await stack.waitWorkersReady();

    const { answers, byStatus, runsByCampaign, acceptedRunIds } = answersOf(sent);
    const allRunIds = new Set([...runsByCampaign.values()].flatMap((s) => [...s]));

    // Wait until every queue is empty, every delivered run was notified and every run is final
    // (or, when queues stay empty but runs stay open, stop: they are stuck; the checks say which).
    const redis = stack.connect();
    const runs = runStoreFor(redis, stack.prefix);
    let lastState = '';
    const outcome = await drain(async () => {
      const records = await readRuns(runs, allRunIds);
      const open = [...records.values()].filter((r) => !isFinal(r)).length;
      const pending = await pendingJobs(redis, stack.prefix);
      const notified = deliveredNotifications(stack.receiver.delivered());
      const unnotified = [...records.values()].filter(
        (r) => r?.stage === 'delivered' && !notified.has(`report.delivered ${r.runId}`),
      ).length;
      lastState = `${open} runs not final, ${pending.total} jobs pending ${JSON.stringify(pending.counts)}, ${unnotified} delivered runs not notified`;
      const idle = pending.total === 0 && unnotified === 0;
      return { done: idle && open === 0, idle };
    });
    const drained = Date.now();
    if (outcome === 'timeout') {
      await redis.quit();
      throw new Error(
        `the pipeline did not drain within ${DRAIN_TIMEOUT_MS} ms; last state: ${lastState}`,
      );
    }

    const records = await readRuns(runs, allRunIds);
    const pending = await pendingJobs(redis, stack.prefix);
    await redis.quit();
    const rows = await readRows(stack.pg);
    // A worker SIGKILLed in the milliseconds between a receiver's 2xx and the "sent" mark leaves
    // the job to run again, and it sends the notification again with the same Idempotency-Key
    // (README, Notifications): counted as a deduplicating receiver sees them, with the re-sends
    // bounded by the kills (a second job, or a re-send without a kill, still fails below).
    const firstByKey = new Map<string, unknown>();
    const resent: string[] = [];
    stack.receiver.requests
      .filter((r) => r.status >= 200 && r.status < 300)
      .forEach((r, i) => {
        const key = r.headers['idempotency-key'];
        const id = typeof key === 'string' && key !== '' ? key : `no key #${i}`;
        if (firstByKey.has(id)) resent.push(id);
        else firstByKey.set(id, r.body);
      });
    const notified = deliveredNotifications([...firstByKey.values()]);

    const redisWindow = windows.find((w) => w.what.startsWith('redis')) as Window;
    const unavailable = answers.filter((a) => a.status === 503);
    const logs = [...stack.pastOutput, ...stack.workers.map((w) => w.output())].join('\n');
    const simAnswers: Record<string, number> = {};
    for (const r of await stack.sim.requestLog())
      simAnswers[r.status] = (simAnswers[r.status] ?? 0) + 1;
    const faultsSeen = {
      simulator429: simAnswers[429] ?? 0,
      simulator503: simAnswers[503] ?? 0,
      // a write that failed, or (when no report happened to be due in the window) the workers'
      // open warehouse connections the cut dropped
      warehouseWriteFailures:
        count(logs, 'warehouse write failed') + count(logs, 'idle warehouse connection failed'),
      notifier500: stack.receiver.requests.filter((r) => r.status === 500).length,
      ingest503: unavailable.length,
      jobsRecoveredFromKilledWorkers: count(logs, 'job stalled'),
    };
    console.log(
      summary({
        sent,
        byStatus,
        kills,
        windows,
        t0,
        trafficMs: trafficDone - t0,
        drainMs: drained - trafficDone,
        totalMs: drained - started,
        campaigns: runsByCampaign.size,
        rows: rows.length,
        notifications: stack.receiver.requests.length,
        counts: pending.counts,
        simAnswers,
        faultsSeen,
        stalled: count(logs, 'job stalled'),
        failedForGood: count(logs, 'job failed for good'),
      }),
    );

    // Each check is soft, so one run reports every broken promise at once.
    // First, the chaos really happened: every fault was felt by someone.
    // The simulator's 429 and 503 windows count together: with batched checks only a few calls
    // fall in each window, and the 503 one (right after the 429 pause) may see none at all.
    const { simulator429, simulator503, ...others } = faultsSeen;
    expect
      .soft(simulator429 + simulator503, 'simulator 429/503 (did the faults bite?)')
      .toBeGreaterThan(0);
    for (const [fault, n] of Object.entries(others))
      expect.soft(n, `${fault} (did the fault bite?)`).toBeGreaterThan(0);
    expect.soft(kills.length, 'worker SIGKILLs').toBe(2);
    // The ingest answered only 202, 200 and 503, and every send ended in 202 or 200...
    expect
      .soft(
        Object.keys(byStatus).filter((st) => !['200', '202', '503'].includes(st)),
        'other answers',
      )
      .toEqual([]);
    const finals = sent.map(
      (e) =>
        `${e.result.final.status} ${(e.result.final.body as { status?: string } | null)?.status}`,
    );
    expect
      .soft(
        finals.filter((f) => f !== '202 accepted' && f !== '200 duplicate'),
        'final answers',
      )
      .toEqual([]);
    // ...and 503 only during the Redis outage.
    const outside = unavailable.filter(
      (a) => a.at < redisWindow.from || a.at > redisWindow.to + REDIS_RECONNECT_SLACK_MS,
    );
    expect
      .soft(
        outside.map((a) => `+${a.at - t0} ms`),
        '503s outside the redis outage',
      )
      .toEqual([]);

    // Every campaign was accepted, and all its events map to one run.
    expect.soft(runsByCampaign.size, 'campaigns accepted').toBe(plan.campaigns.length);
    const multi = [...runsByCampaign]
      .filter(([, ids]) => ids.size !== 1)
      .map(([c, ids]) => `${c}: ${[...ids].join(', ')}`);
    expect.soft(multi, 'campaigns with more than one run').toEqual([]);

    // No 202 lost, no run stuck or failed: every run delivered with complete data.
    const stages: Record<string, number> = {};
    for (const r of records.values())
      stages[r?.stage ?? 'missing'] = (stages[r?.stage ?? 'missing'] ?? 0) + 1;
    expect.soft(stages, 'runs by stage').toEqual({ delivered: allRunIds.size });
    expect
      .soft(
        [...acceptedRunIds].filter((id) => !isFinal(records.get(id))).length,
        '202s whose run is not final',
      )
      .toBe(0);
    expect.soft(describeStuck(records, rows, notified), 'runs not final').toEqual([]);

    // Exactly one warehouse row per campaign run, with the simulator's numbers.
    expect.soft(rows.length, 'warehouse rows').toBe(runsByCampaign.size);
    const rowsByCampaign = new Map(rows.map((r) => [r.campaign_id, r]));
    expect.soft(rowsByCampaign.size, 'campaigns with a row').toBe(rows.length);
    const wrong: string[] = [];
    for (const [campaignId, ids] of runsByCampaign) {
      const row = rowsByCampaign.get(campaignId);
      const runId = [...ids][0] as string;
      const expected = await stack.sim.expected(campaignId);
      const planned = plan.campaigns.find((c) => c.id === campaignId);
      const status = planned?.stopped ? 'stopped' : 'completed';
      const actual =
        row &&
        `${row.report_id} ${row.status} ${row.total_calls_attempted}/${row.successful_contacts} ${row.complete}`;
      const want = `${reportIdFor(runId)} ${status} ${expected.attempted}/${expected.connected} true`;
      if (actual !== want) wrong.push(`${campaignId}: got ${actual ?? 'no row'}, want ${want}`);
    }
    expect.soft(wrong, 'rows that differ from the simulator').toEqual([]);

    // Every report.delivered notification went out (2xx) exactly once per run, and nothing else was sent.
    expect
      .soft(
        [...notified.keys()].filter((k) => !k.startsWith('report.delivered ')),
        'other notifications',
      )
      .toEqual([]);
    const notOnce = [...allRunIds]
      .map((id) => `${id}: ${notified.get(`report.delivered ${id}`) ?? 0}`)
      .filter((line) => !line.endsWith(': 1'));
    expect.soft(notOnce, 'runs not notified exactly once').toEqual([]);
    expect
      .soft(resent.length, `re-sent with the same Idempotency-Key: ${resent.join(', ')}`)
      .toBeLessThanOrEqual(kills.length);
  }, 300_000);
});

/**
 * Polls until `check` says done. Gives up after DRAIN_TIMEOUT_MS ('timeout'), or when every queue
 * has been empty for STUCK_AFTER_MS without the runs being done ('stuck': waiting will not help).
 */
async function drain(
  check: () => Promise<{ done: boolean; idle: boolean }>,
): Promise<'drained' | 'timeout' | 'stuck'> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let idleSince: number | undefined;
  for (;;) {
    const { done, idle } = await check();
    if (done) return 'drained';
    idleSince = idle ? (idleSince ?? Date.now()) : undefined;
    if (idleSince !== undefined && Date.now() - idleSince > STUCK_AFTER_MS) return 'stuck';
    if (Date.now() > deadline) return 'timeout';
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** One line per run that is not final: its stages, whether its row exists, its notifications. */
function describeStuck(
  records: Map<string, StoredRun | undefined>,
  rows: readonly WarehouseRow[],
  notified: Map<string, number>,
): string[] {
  return [...records.entries()]
    .filter(([, r]) => !isFinal(r))
    .map(([id, r]) => {
      const row = rows.some((w) => w.report_id === reportIdFor(id));
      const stages = Object.entries(r?.stages ?? {})
        .sort(([, x], [, y]) => x.localeCompare(y))
        .map(([stage, at]) => `${stage}@${at.slice(11, 23)}`)
        .join(' ');
      return `${id} (${r?.campaignId ?? '?'}) stuck in ${r?.stage ?? 'no record'}; stages by time: ${stages}; row: ${row}; report.delivered sent: ${notified.get(`report.delivered ${id}`) ?? 0}`;
    });
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

/** Writes every worker's whole log to a temp dir and prints the last errors (not the stalled-job noise). */
/**
 * Keeps the evidence of a failed run: every worker's whole log and every notification the receiver
 * got, in a temp dir, plus the last error lines of each worker.
 */
function saveEvidence(s: ChaosStack) {
  const dir = mkdtempSync(join(tmpdir(), 'wrapup-chaos-'));
  const outputs = [...s.pastOutput, ...s.workers.map((w) => w.output())];
  for (const [i, out] of outputs.entries()) writeFileSync(join(dir, `worker-${i}.log`), out);
  writeFileSync(
    join(dir, 'notifications.jsonl'),
    s.receiver.requests
      .map((r) =>
        JSON.stringify({ at: new Date(r.at).toISOString(), status: r.status, body: r.body }),
      )
      .join('\n'),
  );
  console.log(
    `chaos evidence (${outputs.length} worker logs, killed ones first; notifications): ${dir}`,
  );
  for (const [i, out] of outputs.entries()) {
    const lines = out.split('\n').filter((l) => /"level":(50|60)/.test(l));
    console.log(
      `worker process ${i}: ${lines.length} error lines; last 5:\n${lines.slice(-5).join('\n')}`,
    );
  }
}

function summary(s: {
  sent: SentEvent[];
  byStatus: Record<string, number>;
  kills: { worker: number; at: number }[];
  windows: Window[];
  t0: number;
  trafficMs: number;
  drainMs: number;
  totalMs: number;
  campaigns: number;
  rows: number;
  notifications: number;
  counts: unknown;
  simAnswers: Record<string, number>;
  faultsSeen: Record<string, number>;
  stalled: number;
  failedForGood: number;
}): string {
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const dupes = s.sent.filter((e) => e.duplicate).length;
  const eb = s.sent.filter((e) => e.shape === 'eventbridge').length;
  return [
    'chaos run summary',
    `  events sent: ${s.sent.length} (${dupes} duplicates, ${eb} EventBridge-shaped) for ${s.campaigns} campaigns`,
    `  ingest answers (all tries): ${JSON.stringify(s.byStatus)}`,
    `  worker SIGKILLs: ${s.kills.map((k) => `worker ${k.worker} at +${secs(k.at - s.t0)}`).join(', ')}`,
    ...s.windows.map((w) => `  ${w.what}: +${secs(w.from - s.t0)} .. +${secs(w.to - s.t0)}`),
    `  traffic took ${secs(s.trafficMs)}; drained ${secs(s.drainMs)} after the traffic; whole test ${secs(s.totalMs)}`,
    `  simulator answers: ${JSON.stringify(s.simAnswers)}`,
    `  faults that bit: ${JSON.stringify(s.faultsSeen)}`,
    `  warehouse rows: ${s.rows}; notification requests received: ${s.notifications}`,
    `  worker logs: ${s.stalled} stalled-job warnings, ${s.failedForGood} jobs failed for good`,
    `  queues at the end: ${JSON.stringify(s.counts)}`,
  ].join('\n');
}
