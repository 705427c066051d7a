import { describe, expect, it } from 'vitest';
import { closeAfterEach } from '@wrapup/shared/testing';
import { parseOrThrow, startPipeline, type Pipeline } from '../src/testing/harness';

const ANALYTICS_PATH = '/api/v2/analytics/conversations/aggregates/query';

/**
 * Runs a new campaign of `contactCount` to completion over `durationSeconds` and reports its
 * finish (with that duration unless `reported` says another); returns the campaign, the run and
 * what the simulator expects the report to say.
 */
async function runAndFinish(
  p: Pipeline,
  contactCount: number,
  durationSeconds: number,
  reported = { durationSeconds },
) {
  const c = await p.sim.createCampaign({ contactCount });
  const { expected } = await p.sim.runToCompletion(c.id, { durationSeconds, avgHandleMs: 1500 });
  const runId = await p.finish({ campaignId: c.id, contactCount, ...reported });
  return { c, runId, expected };
}

describe('analytics stage (real Redis, PostgreSQL and the simulator over HTTP)', () => {
  const closing = closeAfterEach();

  it('waits for lagging analytics without spending attempts, then reports the right numbers', async () => {
    const p = closing(await startPipeline({ sim: { analyticsLagMs: 1_200 } }));
    const { c, runId, expected } = await runAndFinish(p, 40, 2);

    const run = await p.waitForRun(runId);
    expect(run.stage).toBe('delivered');
    expect(run.observedCount).toBe(expected.attempted);
    expect(expected.contactsCalled).toBe(40);
    const queries = (await p.sim.requestLog()).filter((r) => r.path === ANALYTICS_PATH);
    expect(queries.length).toBeGreaterThan(1); // the first check saw partial counts
    const job = await p.runtime!.queues.analytics.getJob(runId);
    // Waiting is not an attempt: the job (3 attempts allowed) was picked up once per check and
    // finished on its first and only attempt (BullMQ counts the completion itself as one).
    expect(job?.attemptsStarted).toBe(queries.length);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.stacktrace).toEqual([]);

    const [row] = await p.rows();
    expect(row).toMatchObject({
      campaign_id: c.id,
      status: 'completed',
      total_calls_attempted: expected.attempted,
      successful_contacts: expected.connected,
      complete: true,
    });
    expect(row?.contact_rate).toBeCloseTo(expected.connected / expected.attempted, 4);
    expect(row?.avg_handle_time_seconds).toBeCloseTo(
      expected.handleSumMs / expected.handled / 1000,
      3,
    );
    const report = row?.report as {
      dataComplete: boolean;
      waitedMs: number;
      campaignName?: string;
      hourly?: { attempted: number; connected: number; abandoned: number }[];
    };
    expect(report.dataComplete).toBe(true);
    expect(report.waitedMs).toBeGreaterThan(0);
    // the reports console's name and hourly chart come from calls the report made anyway
    expect(report.campaignName).toBe(c.name);
    const hourly = report.hourly ?? [];
    expect(hourly.reduce((n, h) => n + h.attempted, 0)).toBe(expected.attempted);
    expect(hourly.reduce((n, h) => n + h.connected, 0)).toBe(expected.connected);
  });

  it('writes an incomplete report, not a failure, when analytics lag past the maximum wait', async () => {
    const p = closing(
      await startPipeline({
        sim: { analyticsLagMs: 60_000 },
        env: { ANALYTICS_MAX_WAIT_MS: '700' },
      }),
    );
    const { runId } = await runAndFinish(p, 25, 5);

    const run = await p.waitForRun(runId);
    expect(run.stage).toBe('incomplete');
    expect(run.lastError).toBeUndefined();
    const [row] = await p.rows();
    expect(row?.complete).toBe(false);
    const report = row?.report as {
      dataComplete: boolean;
      expectedCount: number;
      observedCount: number;
      waitedMs: number;
    };
    expect(report).toMatchObject({ dataComplete: false, expectedCount: 25 });
    expect(report.observedCount).toBeLessThan(25);
    expect(report.waitedMs).toBeGreaterThanOrEqual(700);
    await expect
      .poll(() => p.receiver.delivered().map((b) => (b as { event?: unknown }).event))
      .toContain('report.incomplete');
  });

  it('rejects an unknown campaign without querying analytics and says so', async () => {
    const p = closing(await startPipeline());
    const runId = await p.finish({ campaignId: 'no-such-campaign', contactCount: 10 });
    const run = await p.waitForRun(runId);
    expect(run.stage).toBe('rejected');
    expect(run.outcome).toMatch(/does not exist|not found|unknown/i);
    expect((await p.sim.requestLog()).filter((r) => r.path === ANALYTICS_PATH)).toHaveLength(0);
    expect(await p.rows()).toHaveLength(0);
    await expect
      .poll(() => p.receiver.delivered())
      .toEqual([
        expect.objectContaining({ event: 'campaign.rejected', campaignId: 'no-such-campaign' }),
      ]);
  });

  it('rejects an alwaysRunning campaign reported as complete', async () => {
    const p = closing(await startPipeline());
    const c = await p.sim.createCampaign({ contactCount: 10, alwaysRunning: true });
    const runId = await p.finish({ campaignId: c.id });
    expect((await p.waitForRun(runId)).stage).toBe('rejected');
    expect((await p.sim.requestLog()).filter((r) => r.path === ANALYTICS_PATH)).toHaveLength(0);
  });

  it('reports a stopped campaign with endTime null, expecting the contacts the progress says were called', async () => {
    const p = closing(await startPipeline());
    const c = await p.sim.createCampaign({ contactCount: 60 });
    // dials closer together than ANALYTICS_SETTLE_MS (300 ms here), as a busy dialler places them
    const { expected } = await p.sim.stopCampaign(c.id, {
      fraction: 0.5,
      durationSeconds: 3,
      avgHandleMs: 1500,
    });
    const runId = await p.finish({ campaignId: c.id, status: 'stopped', durationSeconds: 3 });
    const run = await p.waitForRun(runId);
    expect(run.stage).toBe('delivered');
    expect(run.expectedCount).toBe(expected.contactsCalled);
    const [row] = await p.rows();
    expect(row).toMatchObject({
      status: 'stopped',
      end_time: null,
      total_calls_attempted: expected.attempted,
    });
    expect((row?.report as { endTime: unknown }).endTime).toBeNull();
  });

  it('queries the right UTC interval for a campaign across midnight in a non-UTC event timezone', async () => {
    const p = closing(await startPipeline({ env: { QUERY_BUFFER_MINUTES: '5' } }));
    const c = await p.sim.createCampaign({ contactCount: 30 });
    // 23:20-00:20 in Berlin (UTC+1 in November) is 22:20-23:20 UTC on the 26th.
    const { expected } = await p.sim.runToCompletion(c.id, {
      durationSeconds: 3600,
      endAt: '2026-11-26T23:20:00.000Z',
    });
    const event = parseOrThrow(
      {
        eventType: 'outbound.campaign.completed',
        timestamp: '2026-11-27T00:20:00',
        data: { campaignId: c.id, status: 'completed', durationSeconds: 3600, contactCount: 30 },
      },
      'Europe/Berlin',
    );
    expect(event.occurredAt).toBe('2026-11-26T23:20:00.000Z');
    const runId = await p.finish(event);
    expect((await p.waitForRun(runId)).stage).toBe('delivered');
    const [row] = await p.rows();
    // the start widened by the buffer, the end by the after-call-work tail (30 minutes)
    expect((row?.report as { interval: string }).interval).toBe(
      '2026-11-26T22:15:00.000Z/2026-11-26T23:50:00.000Z',
    );
    expect(row?.total_calls_attempted).toBe(expected.attempted);
  });

  it('clamps a start more than MAX_WINDOW_DAYS before the end, querying only that window', async () => {
    const p = closing(await startPipeline());
    // reported as 1.7e9 s (about 54 years): some 2,800 week-long aggregates queries
    const { runId, expected } = await runAndFinish(p, 10, 2, { durationSeconds: 1.7e9 });
    expect((await p.waitForRun(runId)).stage).toBe('delivered');
    const [row] = await p.rows();
    const report = row?.report as {
      window: { start: string; end: string; startFrom: string };
      completeness: { checks: number };
    };
    expect(report.window.startFrom).toBe('clamped');
    expect(Date.parse(report.window.end) - Date.parse(report.window.start)).toBe(31 * 86_400_000);
    expect(row?.total_calls_attempted).toBe(expected.attempted);
    const queries = (await p.sim.requestLog()).filter((r) => r.path === ANALYTICS_PATH);
    expect(queries.length).toBe(5 * report.completeness.checks); // five 7-day pieces per check
  });

  it('fails a run whose interval cannot be built on the first attempt, with a clear lastError', async () => {
    // a tail of about 11,000 years puts the interval's end past the year 9999
    const p = closing(await startPipeline({ env: { ANALYTICS_TAIL_MINUTES: '6000000000' } }));
    const { runId } = await runAndFinish(p, 10, 2);
    const run = await p.waitForRun(runId);
    expect(run.stage).toBe('failed');
    expect(run.lastError).toMatch(
      /^no analytics interval can be built: .*outside the years 1970 to 9999/,
    );
    const queue = p.runtime!.queues.analytics;
    // the run is marked failed just before BullMQ fails the job
    await expect
      .poll(async () => (await queue.getJob(runId))?.failedReason)
      .toMatch(/^no analytics interval can be built/);
    const job = await queue.getJob(runId);
    expect(job?.attemptsMade).toBe(1); // 3 allowed: not retried
    expect((await p.sim.requestLog()).filter((r) => r.path === ANALYTICS_PATH)).toHaveLength(0);
    await expect
      .poll(() => p.receiver.delivered().map((b) => (b as { event?: unknown }).event))
      .toContain('report.failed');
  });

  it('fails a run on its first attempt when Genesys answers 400, naming the 400 in lastError', async () => {
    // the simulator refuses an aggregates interval over one day as bad.request: no retry can change that
    const p = closing(await startPipeline({ sim: { maxIntervalDays: 1 } }));
    const { runId } = await runAndFinish(p, 10, 2 * 86_400);
    const run = await p.waitForRun(runId);
    expect(run.stage).toBe('failed');
    expect(run.lastError).toMatch(
      /^POST \/api\/v2\/analytics\/conversations\/aggregates\/query answered 400: interval is longer than 1 days/,
    );
    const queue = p.runtime!.queues.analytics;
    await expect
      .poll(async () => (await queue.getJob(runId))?.failedReason)
      .toMatch(/answered 400/);
    expect((await queue.getJob(runId))?.attemptsMade).toBe(1); // 3 allowed: not retried
    // neither got nor BullMQ asked again
    expect(
      (await p.sim.requestLog()).filter((r) => r.path === ANALYTICS_PATH).map((r) => r.status),
    ).toEqual([400]);
    await expect
      .poll(() => p.receiver.delivered().map((b) => (b as { event?: unknown }).event))
      .toContain('report.failed');
  });

  it('still completes every run through 429s and 503s', async () => {
    const p = closing(
      await startPipeline({
        sim: {
          rateLimitPerMinute: 3,
          retryAfterSeconds: 1,
          faults: { failNext: 3, errorStatus: 503 },
        },
        // one query per run, so six runs surely meet the 429s (batched, they need about three calls)
        env: { ANALYTICS_BATCH: 'false' },
      }),
    );
    const endAt = Date.now() - 120_000;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await p.sim.createCampaign({ contactCount: 5 });
      await p.sim.runToCompletion(c.id, { durationSeconds: 60, endAt, avgHandleMs: 1500 });
      ids.push(
        await p.finish({
          campaignId: c.id,
          durationSeconds: 60,
          contactCount: 5,
          occurredAt: new Date(endAt).toISOString(),
        }),
      );
    }
    // Genesys throttles and fails for a while; nothing may fail or be dropped meanwhile.
    await expect
      .poll(async () => (await p.sim.requestLog()).some((r) => r.status === 429), {
        timeout: 10_000,
      })
      .toBe(true);
    expect((await p.sim.requestLog()).filter((r) => r.status === 503)).toHaveLength(3);
    for (const id of ids) expect((await p.runtime!.runs.get(id))?.stage).not.toBe('failed');
    await p.sim.setFaults({ rateLimitPerMinute: 100_000 });

    const runs = await Promise.all(ids.map((id) => p.waitForRun(id, 30_000)));
    expect(runs.map((r) => r.stage)).toEqual(ids.map(() => 'delivered'));
    expect(await p.rows()).toHaveLength(6);
  }, 45_000);

  it('renews a token that expires mid-run', async () => {
    // the last after-call work posts seconds after the finish, then lags 2.5 s: wait long enough
    const p = closing(
      await startPipeline({
        sim: { tokenTtlSeconds: 1, analyticsLagMs: 2_500 },
        env: { ANALYTICS_MAX_WAIT_MS: '20000' },
      }),
    );
    const { runId } = await runAndFinish(p, 20, 1);
    const run = await p.waitForRun(runId);
    expect(run.stage).toBe('delivered');
    const log = await p.sim.requestLog();
    expect(log.filter((r) => r.path === '/oauth/token').length).toBeGreaterThanOrEqual(2);
    expect(
      log.filter((r) => r.status === 401 && r.path.startsWith('/api/v2')).length,
    ).toBeLessThanOrEqual(1);
  });
});
