/**
 * The chaos run (issue 8): two worker processes, 1,000 finish events (a third duplicates, a tenth
 * EventBridge-shaped) while workers are SIGKILLed, Redis is killed and restarted from its AOF, the
 * simulator answers 429/503, the warehouse is cut off and the notifier fails. Nothing may be lost
 * or doubled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportIdFor } from '@wrapup/shared';
import { waitFor } from '@wrapup/shared/testing';
import { CHAOS_API_KEY, startChaosStack, type ChaosStack } from './support/chaos-stack';
import { planTraffic, runTraffic, type SentEvent } from './support/chaos-traffic';
import {
  answersOf,
  deliveredNotifications,
  isFinal,
  pendingJobs,
  readRows,
  readRuns,
  runStoreFor,
} from './support/chaos-observe';

const EVENTS = 1_000;
const TRAFFIC_SPAN_MS = 50_000;
const DRAIN_TIMEOUT_MS = 150_000;
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
  stack = await startChaosStack({ workers: 2, workerConcurrency: 20, lockDurationMs: 5_000, analyticsLagMs: 300 });
}, 60_000);

afterAll(async () => {
  await stack?.close();
}, 30_000);

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

/** The faults, in order, relative to the start of the traffic. Returns the windows as they happened. */
async function chaos(t0: number): Promise<{ windows: Window[]; kills: { worker: number; at: number }[] }> {
  const windows: Window[] = [];
  const kills: { worker: number; at: number }[] = [];
  const open = (what: string) => {
    const w = { what, from: Date.now(), to: Number.NaN };
    windows.push(w);
    return () => (w.to = Date.now());
  };

  await sleepUntil(t0 + 4_000);
  stack.receiver.setFailing(true);
  const notifierBack = open('notifier answers 500');

  await sleepUntil(t0 + 6_000);
  kills.push({ worker: 0, at: Date.now() });
  await stack.killAndRestartWorker(0);

  await sleepUntil(t0 + 9_000);
  await stack.sim.setFaults({ rateLimitPerMinute: 30, retryAfterSeconds: 1 });
  const limitBack = open('simulator answers 429');

  await sleepUntil(t0 + 16_000);
  await stack.sim.setFaults({ rateLimitPerMinute: 1_000_000, retryAfterSeconds: null, faults: { errorRate: 0.5, errorStatus: 503 } });
  limitBack();
  const errorsBack = open('simulator answers 503 (half the calls)');

  await sleepUntil(t0 + 20_000);
  stack.proxy.cutOff();
  const warehouseBack = open('warehouse cut off');

  await sleepUntil(t0 + 24_000);
  await stack.sim.setFaults({ faults: {} });
  errorsBack();
  stack.receiver.setFailing(false);
  notifierBack();

  await sleepUntil(t0 + 30_000);
  stack.proxy.restore();
  warehouseBack();

  await sleepUntil(t0 + 34_000);
  const redisBack = open('redis killed (SIGKILL) and restarted from its AOF');
  await stack.redis.kill('SIGKILL');
  await sleepUntil(t0 + 38_000);
  await stack.redis.start();
  redisBack();

  await sleepUntil(t0 + 44_000);
  kills.push({ worker: 1, at: Date.now() });
  await stack.killAndRestartWorker(1);
  return { windows, kills };
}

describe('chaos run', () => {
  it(
    'loses no accepted event and doubles no row or notification while everything breaks',
    async () => {
      const plan = planTraffic({
        events: EVENTS,
        duplicateShare: 1 / 3,
        eventBridgeShare: 0.1,
        stoppedShare: 0.1,
        spanMs: TRAFFIC_SPAN_MS,
        maxDuplicateLagMs: 8_000,
      });
      const t0 = Date.now();
      const [sent, { windows, kills }] = await Promise.all([
        runTraffic({ sim: stack.sim, webhookUrl: stack.webhookUrl, apiKey: CHAOS_API_KEY, plan, concurrency: 20 }),
        chaos(t0),
      ]);
      const trafficDone = Date.now();
      await stack.waitWorkersReady();

      const { answers, byStatus, runsByCampaign, acceptedRunIds } = answersOf(sent);
      const allRunIds = new Set([...runsByCampaign.values()].flatMap((s) => [...s]));

      // Wait until every run is final, every queue is empty and every delivered run was notified.
      const redis = stack.connect();
      const runs = runStoreFor(redis, stack.prefix);
      let lastState = '';
      try {
        await waitFor(
          async () => {
            const records = await readRuns(runs, allRunIds);
            const open = [...records.values()].filter((r) => !isFinal(r)).length;
            const pending = await pendingJobs(redis, stack.prefix);
            const notified = deliveredNotifications(stack.receiver.delivered());
            const unnotified = [...records.values()].filter(
              (r) => r?.stage === 'delivered' && !notified.has(`report.delivered ${r.runId}`),
            ).length;
            lastState = `${open} runs not final, ${pending.total} jobs pending ${JSON.stringify(pending.counts)}, ${unnotified} delivered runs not notified`;
            return open === 0 && pending.total === 0 && unnotified === 0;
          },
          { timeoutMs: DRAIN_TIMEOUT_MS, intervalMs: 1_000, what: 'the pipeline to drain' },
        );
      } catch (err) {
        printWorkerTail(stack);
        throw new Error(`${String(err)}; last state: ${lastState}`);
      }
      const drained = Date.now();

      const records = await readRuns(runs, allRunIds);
      const pending = await pendingJobs(redis, stack.prefix);
      await redis.quit();
      const rows = await readRows(stack.pg);
      const notified = deliveredNotifications(stack.receiver.delivered());

      const redisWindow = windows.find((w) => w.what.startsWith('redis')) as Window;
      const unavailable = answers.filter((a) => a.status === 503);
      const logs = [...stack.pastOutput, ...stack.workers.map((w) => w.output())].join('\n');
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
          notifications: stack.receiver.received.length,
          counts: pending.counts,
          stalled: count(logs, 'job stalled'),
          failedForGood: count(logs, 'job failed for good'),
        }),
      );

      // The ingest answered only 202, 200 and 503, and every send ended in 202 or 200.
      expect(Object.keys(byStatus).sort()).toEqual(expect.arrayContaining(['200', '202', '503']));
      expect(Object.keys(byStatus).filter((s) => !['200', '202', '503'].includes(s))).toEqual([]);
      const finals = sent.map((s) => `${s.result.final.status} ${(s.result.final.body as { status?: string }).status}`);
      expect(finals.filter((f) => f !== '202 accepted' && f !== '200 duplicate')).toEqual([]);
      // ...and 503 only while Redis was away.
      const outside = unavailable.filter((a) => a.at < redisWindow.from || a.at > redisWindow.to + REDIS_RECONNECT_SLACK_MS);
      expect(outside.map((a) => a.at - t0)).toEqual([]);

      // Every campaign whose event was accepted maps to exactly one run.
      expect(runsByCampaign.size).toBe(plan.campaigns.length);
      const multi = [...runsByCampaign].filter(([, ids]) => ids.size !== 1).map(([c]) => c);
      expect(multi).toEqual([]);

      // No 202 lost, no run failed: every run final, delivered with complete data.
      const stages: Record<string, number> = {};
      for (const r of records.values()) stages[r?.stage ?? 'missing'] = (stages[r?.stage ?? 'missing'] ?? 0) + 1;
      expect(stages).toEqual({ delivered: allRunIds.size });
      for (const id of acceptedRunIds) expect(isFinal(records.get(id))).toBe(true);

      // Exactly one warehouse row per campaign run, with the simulator's numbers.
      expect(rows.length).toBe(runsByCampaign.size);
      const rowsByCampaign = new Map(rows.map((r) => [r.campaign_id, r]));
      expect(rowsByCampaign.size).toBe(rows.length);
      const wrong: string[] = [];
      for (const [campaignId, ids] of runsByCampaign) {
        const row = rowsByCampaign.get(campaignId);
        const runId = [...ids][0] as string;
        const expected = await stack.sim.expected(campaignId);
        const planned = plan.campaigns.find((c) => c.id === campaignId);
        const status = planned?.stopped ? 'stopped' : 'completed';
        const actual = row && `${row.report_id} ${row.status} ${row.total_calls_attempted}/${row.successful_contacts} ${row.complete}`;
        const want = `${reportIdFor(runId)} ${status} ${expected.attempted}/${expected.connected} true`;
        if (actual !== want) wrong.push(`${campaignId}: got ${actual ?? 'no row'}, want ${want}`);
      }
      expect(wrong).toEqual([]);

      // Every report.delivered notification went out (2xx) exactly once per run, and nothing else was sent.
      const notDelivered = [...notified.keys()].filter((k) => !k.startsWith('report.delivered '));
      expect(notDelivered).toEqual([]);
      const notOnce = [...allRunIds]
        .map((id) => [id, notified.get(`report.delivered ${id}`) ?? 0] as const)
        .filter(([, n]) => n !== 1);
      expect(notOnce).toEqual([]);
    },
    300_000,
  );
});

const count = (text: string, needle: string) => text.split(needle).length - 1;

function printWorkerTail(s: ChaosStack) {
  for (const [i, w] of s.workers.entries()) {
    const lines = w.output().split('\n').filter((l) => /"level":(40|50|60)/.test(l));
    console.log(`worker ${i} warnings/errors (last 30 of ${lines.length}):\n${lines.slice(-30).join('\n')}`);
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
    `  warehouse rows: ${s.rows}; notification requests received: ${s.notifications}`,
    `  worker logs: ${s.stalled} stalled-job warnings, ${s.failedForGood} jobs failed for good`,
    `  queues at the end: ${JSON.stringify(s.counts)}`,
  ].join('\n');
}
