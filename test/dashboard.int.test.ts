/**
 * The dashboard in a real browser: the whole pipeline (ingest, worker, simulated Genesys, PostgreSQL
 * warehouse, a notify receiver) handles one finish of the demo guide campaign, then headless Chromium
 * logs in to Bull Board at /admin/queues, reads the queues' counts and saves a screenshot
 * (docs/dashboard.png with UPDATE_SCREENSHOTS=1).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_CAMPAIGN_IDS,
  deliverFinish,
  startSimulator,
  type Simulator,
} from '@wrapup/genesys-sim';
import { createIngest, serveApp, type Ingest, type RunningServer } from '@wrapup/ingest';
import { loadConfig } from '@wrapup/shared';
import { openPipelineBackends, waitFor, type PipelineBackends } from '@wrapup/shared/testing';
import { startWorkerRuntime, type WorkerRuntime } from '@wrapup/worker';
import { chromiumMissing, launchChromium, pngSize } from './support/browser';

const missing = chromiumMissing();
if (missing) console.warn(`dashboard browser test skipped: ${missing}`);

// The README shows docs/dashboard.png; a run refreshes it with UPDATE_SCREENSHOTS=1 (or when it is
// missing), otherwise the shot goes to a temp file so the tests leave the work tree clean.
const DOCS_SHOT = fileURLToPath(new URL('../docs/dashboard.png', import.meta.url));
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(DOCS_SHOT)
    ? DOCS_SHOT
    : join(tmpdir(), `wrapup-dashboard-${process.pid}.png`);
const API_KEY = 'dashboard-test-key-0123456789';
const DASHBOARD = { username: 'ops', password: 'dashboard-pass' };
const BASIC = `Basic ${Buffer.from(`${DASHBOARD.username}:${DASHBOARD.password}`).toString('base64')}`;
/** The queues one run goes through; the fourth, `reconcile`, is listed too and stays idle here. */
const QUEUES = ['analytics', 'warehouse', 'notify'] as const;
const UI_TIMEOUT = 10_000;

/** The overview card of one queue (Bull Board's CSS class names are hashed, so find it by its link). */
const queueCard = (page: Page, queue: string) =>
  page.locator('main li').filter({ has: page.locator(`a[href="/admin/queues/queue/${queue}"]`) });

describe.skipIf(missing !== undefined)('dashboard in a browser', () => {
  /** Redis, PostgreSQL and a notify receiver (a Slack webhook), so the notify queue has work too. */
  let backends: PipelineBackends;
  let sim: Simulator;
  let ingest: Ingest | undefined;
  let server: RunningServer | undefined;
  let runtime: WorkerRuntime | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    [backends, sim] = await Promise.all([openPipelineBackends('dash'), startSimulator()]);
    const config = loadConfig({
      ...backends.env,
      LOG_LEVEL: 'silent',
      ...sim.wrapupEnv,
      GENESYS_MAX_RPS: '100',
      GENESYS_BURST: '10',
      WEBHOOK_API_KEYS: API_KEY,
      DASHBOARD_USER: DASHBOARD.username,
      DASHBOARD_PASSWORD: DASHBOARD.password,
      ANALYTICS_RETRY_DELAY_MS: '100',
      ANALYTICS_SETTLE_MS: '300',
      ANALYTICS_MAX_WAIT_MS: '5000',
      // one run's counts only: no sweep, and no final re-check waiting 50 h as a delayed job
      RECONCILE_EVERY_MINUTES: '0',
      FINAL_REPORT_AFTER: '0',
    });
    const logger = pino({ level: 'silent' });
    ingest = createIngest(config, { logger });
    if (!(await ingest.ready(5_000))) throw new Error('ingest: redis not ready');
    server = await serveApp(ingest.app, { host: '127.0.0.1', port: 0 });
    runtime = await startWorkerRuntime(config, { logger });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close(1_000);
    await runtime?.close(2_000);
    await ingest?.close();
    await Promise.all([sim?.close(), backends?.close()]);
  });

  it('logs in to Bull Board and sees the queues with the counts of one run', async () => {
    if (!server || !runtime || !browser) throw new Error('setup did not finish');
    const base = server.url;
    const workerQueues = runtime.queues;

    // One finish of the demo guide campaign (analytics already in the simulator), as a relay sends it.
    const id = DEMO_CAMPAIGN_IDS.guide;
    const campaign = sim.state.campaigns.get(id);
    expect(campaign?.campaignStatus).toBe('complete');
    const delivery = await deliverFinish({
      webhookUrl: `${base}/webhooks/genesys`,
      shape: 'guide',
      auth: { apiKey: API_KEY },
      campaign: {
        id,
        status: 'complete',
        occurredAt: new Date(campaign?.dateModified ?? 0).toISOString(),
        durationSeconds: 70 * 60,
        contactCount: 1500,
      },
    });
    expect(delivery.finals.map((a) => a.status)).toEqual([202]);

    const run = await waitFor(
      async () => {
        const res = await fetch(`${base}/admin/campaigns/${id}/runs`, {
          headers: { authorization: BASIC },
        });
        const body = (await res.json()) as { runs: { runId: string; stage: string }[] };
        return body.runs.find((r) => r.stage === 'delivered');
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'the run to be delivered' },
    );
    // the notification may finish just after the run is marked delivered: let every queue settle
    await waitFor(
      async () => {
        const counts = await Promise.all(
          QUEUES.map((q) => workerQueues[q].getJobCounts('completed')),
        );
        return counts.every((c) => c.completed === 1);
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'one completed job in each queue' },
    );
    expect(backends.receiver.requests).toHaveLength(1);
    const rows = await backends.pg.pool.query<{ campaign_id: string }>(
      `select campaign_id from ${backends.pg.table()}`,
    );
    expect(rows.rows.map((r) => r.campaign_id)).toEqual([id]);

    // Hermetic: the board links a web font; only our own server is reachable from the page.
    const local = (url: URL) => url.origin === base;

    const anonymous = await browser.newContext();
    try {
      await anonymous.route(
        (url) => !local(url),
        (route) => route.abort(),
      );
      // Chromium answers a Basic challenge it has no credentials for by failing the navigation
      // (net::ERR_INVALID_AUTH_CREDENTIALS): read the 401 off the response instead.
      const page = await anonymous.newPage();
      const response = page.waitForResponse(`${base}/admin/queues`, { timeout: UI_TIMEOUT });
      const navigation = await page.goto(`${base}/admin/queues`).then(
        () => 'loaded',
        (err: Error) => err.message,
      );
      const denied = await response;
      expect(denied.status()).toBe(401);
      expect(denied.headers()['www-authenticate']).toMatch(/^Basic realm=/);
      expect(navigation).toMatch(/ERR_INVALID_AUTH_CREDENTIALS|loaded/);
    } finally {
      await anonymous.close();
    }

    const ctx = await browser.newContext({
      httpCredentials: DASHBOARD,
      viewport: { width: 1440, height: 720 },
      colorScheme: 'light',
    });
    try {
      await ctx.route(
        (url) => !local(url),
        (route) => route.abort(),
      );
      const page = await ctx.newPage();
      const overview = await page.goto(`${base}/admin/queues`);
      expect(overview?.status()).toBe(200);
      expect(await page.title()).toBe('wrapup');

      for (const queue of QUEUES) {
        await page.locator(`nav a[title="${queue}"]`).waitFor({ timeout: UI_TIMEOUT });
        const card = queueCard(page, queue);
        await card.getByText('1 Job', { exact: true }).waitFor({ timeout: UI_TIMEOUT });
        expect(await card.locator(`a[title="${queue}"]`).innerText()).toBe(queue);
        // the card's bar is all "completed" (nothing failed, waiting or delayed)
        expect(await card.locator('[class*="completed-"]').count()).toBe(1);
        expect(
          await card
            .locator('[class*="failed-"], [class*="waiting-"], [class*="delayed-"]')
            .count(),
        ).toBe(0);
      }
      expect(await page.locator('main li a[href^="/admin/queues/queue/"]').count()).toBe(
        QUEUES.length + 1,
      );
      expect(await page.locator('main li a[href="/admin/queues/queue/reconcile"]').count()).toBe(1);
      const completedTab = page.locator('main a[href="/admin/queues/?status=completed"]');
      expect((await completedTab.innerText()).replace(/\s+/g, ' ').trim()).toBe('COMPLETED 3');

      mkdirSync(fileURLToPath(new URL('../docs/', import.meta.url)), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      const png = pngSize(SCREENSHOT);
      expect(png.width).toBe(1440);
      expect(png.height).toBeGreaterThanOrEqual(720);
      expect(png.bytes).toBeGreaterThan(20_000);

      // The analytics queue's completed list shows this run's job, under the run id the admin API gave.
      await page.goto(`${base}/admin/queues/queue/analytics?status=completed`);
      const job = page.locator(`main a[href^="/admin/queues/queue/analytics/${run.runId}"]`);
      await job.waitFor({ timeout: UI_TIMEOUT });
      expect(await job.innerText()).toBe(run.runId);
      expect(await page.locator('main a[href^="/admin/queues/queue/analytics/"]').count()).toBe(1);
      const tab = page.locator('main a[href="/admin/queues/queue/analytics?status=completed"]');
      expect(await tab.getAttribute('aria-current')).toBe('page');
      expect((await tab.innerText()).replace(/\s+/g, ' ').trim()).toBe('COMPLETED 1');
    } finally {
      await ctx.close();
    }
  }, 60_000);
});
