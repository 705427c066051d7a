/**
 * The reports console in a real browser (headless Chromium, JavaScript off): the ingest on a real
 * Redis holds runs in every stage, the delivered ones with their reports kept as the warehouse
 * stage keeps them; the browser logs in, opens the list, filters it, opens a report, measures the
 * hourly chart's bars and saves screenshots of both pages (docs/reports.png and docs/report.png
 * with UPDATE_SCREENSHOTS=1, or when missing).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngest, serveApp, type Ingest, type RunningServer } from '@wrapup/ingest';
import { loadConfig, type HourlyPoint } from '@wrapup/shared';
import { createRedisFixture, type RedisFixture } from '@wrapup/shared/testing';
import { seedEveryStage, seedRun, type SeededRun } from '../apps/ingest/src/testing/reports';
import { chromiumMissing, launchChromium, pngSize } from './support/browser';

const missing = chromiumMissing();
if (missing) console.warn(`reports console browser test skipped: ${missing}`);

const shot = (name: string) => {
  const docs = fileURLToPath(new URL(`../docs/${name}`, import.meta.url));
  return process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(docs)
    ? docs
    : join(tmpdir(), `wrapup-${process.pid}-${name}`);
};
const LIST_SHOT = shot('reports.png');
const REPORT_SHOT = shot('report.png');
const DASHBOARD = { username: 'ops', password: 'reports-console-pass' };
const UI_TIMEOUT = 10_000;
const EVIL = `<script>alert("owned")</script> & 'Spring' "sale"`;

/** A campaign's day: 08:00 to 17:59 UTC, busiest late morning, nothing at lunch. */
const DAY: HourlyPoint[] = [
  [140, 46, 2],
  [310, 102, 5],
  [420, 139, 9],
  [380, 125, 6],
  [0, 0, 0],
  [260, 88, 3],
  [330, 110, 4],
  [290, 93, 7],
  [180, 57, 2],
  [90, 31, 1],
].map(([attempted = 0, connected = 0, abandoned = 0], i) => ({
  hour: new Date(Date.parse('2024-05-01T08:00:00.000Z') + i * 3_600_000).toISOString(),
  attempted,
  connected,
  abandoned,
}));

describe.skipIf(missing !== undefined)('reports console in a browser', () => {
  let fx: RedisFixture;
  let ingest: Ingest | undefined;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let showcase: SeededRun;
  let evil: SeededRun;
  let seeded: SeededRun[];

  beforeAll(async () => {
    fx = await createRedisFixture('reports');
    const config = loadConfig({
      REDIS_URL: fx.redisUrl,
      QUEUE_PREFIX: fx.prefix,
      LOG_LEVEL: 'silent',
      WEBHOOK_API_KEYS: 'reports-console-key-0123456789',
      DASHBOARD_USER: DASHBOARD.username,
      DASHBOARD_PASSWORD: DASHBOARD.password,
    });
    ingest = createIngest(config, { logger: pino({ level: 'silent' }) });
    if (!(await ingest.ready(5_000))) throw new Error('ingest: redis not ready');
    server = await serveApp(ingest.app, { host: '127.0.0.1', port: 0 });

    const runs = ingest.runs;
    const names: Record<string, string> = {
      received: 'Summer upgrade offer',
      validating: 'Policy renewals (North)',
      waiting_for_analytics: 'Appointment reminders',
      delivering: 'Lapsed donors',
      delivered: 'Policy renewals (South)',
      incomplete: 'Q4 win-back',
      rejected: 'Test dialler (old)',
      failed: 'Service survey',
    };
    evil = await seedRun(runs, {
      campaignId: 'camp-quoted',
      stage: 'delivered',
      occurredAt: '2024-04-30T17:00:00.000Z',
      receivedAt: new Date(Date.now() - 3 * 3_600_000).toISOString(),
      campaignName: EVIL,
    });
    seeded = await seedEveryStage(runs, 'camp', (stage) => names[stage] ?? stage);
    // an earlier run of the same campaign, for the "other runs" links (first: a later finish
    // would make it a duplicate)
    await seedRun(runs, {
      campaignId: 'camp-spring-renewals',
      stage: 'incomplete',
      occurredAt: '2024-04-24T17:45:00.000Z',
      receivedAt: new Date(Date.now() - 7 * 86_400_000).toISOString(),
      campaignName: 'Spring renewals',
    });
    showcase = await seedRun(runs, {
      campaignId: 'camp-spring-renewals',
      stage: 'delivered',
      occurredAt: '2024-05-01T17:45:00.000Z',
      campaignName: 'Spring renewals',
      hourly: DAY,
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close(1_000);
    await ingest?.close();
    await fx?.cleanup();
  });

  /** A logged-in context that reaches nothing but our server. */
  const context = async (opts: { javaScript: boolean; width?: number; height?: number }) => {
    if (!browser || !server) throw new Error('setup did not finish');
    const base = server.url;
    const ctx = await browser.newContext({
      httpCredentials: DASHBOARD,
      viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
      colorScheme: 'light',
      javaScriptEnabled: opts.javaScript,
    });
    await ctx.route(
      (url) => url.origin !== base,
      (route) => route.abort(),
    );
    return ctx;
  };

  it('logs in, lists, filters, opens a report with one bar per hour, all without JavaScript', async () => {
    if (!browser || !server) throw new Error('setup did not finish');
    const base = server.url;

    // without credentials: 401 with a Basic challenge
    const anonymous = await browser.newContext();
    try {
      const page = await anonymous.newPage();
      const response = page.waitForResponse(`${base}/admin/reports`, { timeout: UI_TIMEOUT });
      await page.goto(`${base}/admin/reports`).catch(() => undefined);
      const denied = await response;
      expect(denied.status()).toBe(401);
      expect(denied.headers()['www-authenticate']).toMatch(/^Basic realm=/);
    } finally {
      await anonymous.close();
    }

    const ctx: BrowserContext = await context({ javaScript: false });
    try {
      const page = await ctx.newPage();
      const list = await page.goto(`${base}/admin/reports`);
      expect(list?.status()).toBe(200);
      expect(await page.title()).toBe('Latest runs · wrapup');
      const rows = page.locator('table.runs tbody tr');
      expect(await rows.count()).toBe(seeded.length + 3);
      // newest first: the showcase run was received last
      expect(await rows.first().getAttribute('data-run')).toBe(showcase.runId);
      for (const run of seeded) {
        const badge = page.locator(`tr[data-run="${run.runId}"] .badge`);
        expect(await badge.getAttribute('data-stage')).toBe(run.stage);
      }
      // the quoted name is text, nothing else
      const quoted = page.locator(`tr[data-run="${evil.runId}"] td.campaign a`);
      expect(await quoted.innerText()).toBe(EVIL);
      mkdirSync(fileURLToPath(new URL('../docs/', import.meta.url)), { recursive: true });
      await page.screenshot({ path: LIST_SHOT, fullPage: true });
      const listPng = pngSize(LIST_SHOT);
      expect(listPng.width).toBe(1280);
      expect(listPng.bytes).toBeGreaterThan(20_000);

      // filter: delivered only (a plain GET form)
      await page.selectOption('select[name="stage"]', 'delivered');
      await Promise.all([page.waitForURL(/stage=delivered/), page.click('button[type="submit"]')]);
      const filtered = page.locator('table.runs tbody tr');
      const stages: (string | null)[] = [];
      for (let i = 0; i < (await filtered.count()); i++)
        stages.push(await filtered.nth(i).getAttribute('data-stage'));
      expect(stages.length).toBe(3);
      expect(new Set(stages)).toEqual(new Set(['delivered']));
      // and one campaign
      await page.fill('input[name="campaign"]', 'camp-spring-renewals');
      await page.selectOption('select[name="stage"]', '');
      await Promise.all([
        page.waitForURL(/campaign=camp-spring-renewals/),
        page.click('button[type="submit"]'),
      ]);
      expect(await page.locator('table.runs tbody tr').count()).toBe(2);

      // open the report
      await Promise.all([
        page.waitForURL(new RegExp(`/admin/reports/${showcase.reportId}$`)),
        page.click(`tr[data-run="${showcase.runId}"] td.campaign a`),
      ]);
      expect(await page.locator('h1').innerText()).toMatch(/^Spring renewals/);
      const chart = page.locator('#hourly-chart');
      expect(await chart.getAttribute('role')).toBe('img');
      expect(await page.locator('#hourly-title').textContent()).toBe(
        'Attempts, connects and abandons per hour (UTC)',
      );
      expect(await page.locator('#hourly-desc').textContent()).toContain(
        'busiest hour May 1 10:00 with 420 attempts',
      );
      // one bar per hour of the window (08:00 to 18:00: 10 hours), each as tall as its count
      const bars = chart.locator('rect.bar.attempted');
      expect(await bars.count()).toBe(DAY.length);
      const yMax = Number(await chart.getAttribute('data-y-max'));
      const plot = Number(await chart.getAttribute('data-plot-height'));
      expect(yMax).toBe(500);
      const box = await chart.boundingBox();
      const scale = (box?.width ?? 0) / 720; // viewBox width
      for (const [i, point] of DAY.entries()) {
        const bar = bars.nth(i);
        expect(await bar.getAttribute('data-value')).toBe(String(point.attempted));
        const expected = (point.attempted / yMax) * plot;
        expect(Number(await bar.getAttribute('height'))).toBeCloseTo(expected, 1);
        const rendered = await bar.boundingBox();
        // drawn on screen at the chart's scale (a zero bar has no box or a zero one)
        expect(rendered?.height ?? 0).toBeCloseTo(expected * scale, 0);
      }
      expect(await chart.locator('rect.bar.connected').count()).toBe(DAY.length);
      expect(await chart.locator('rect.bar.abandoned').count()).toBe(DAY.length);
      expect(await page.locator('#wrapup-chart rect.bar').count()).toBe(4);
      expect(await page.locator('#headline').innerText()).toContain('2,400');
      expect(await page.locator('a', { hasText: 'Download CSV' }).getAttribute('href')).toBe(
        `/admin/reports/${showcase.reportId}/report.csv`,
      );
      expect(
        await page.locator(`a[href^="/admin/queues/queue/analytics/${showcase.runId}"]`).count(),
      ).toBe(1);
      expect(await page.locator('ul.others li').count()).toBe(1);
      await page.screenshot({ path: REPORT_SHOT, fullPage: true });
      const reportPng = pngSize(REPORT_SHOT);
      expect(reportPng.width).toBe(1280);
      expect(reportPng.height).toBeGreaterThan(800);
      expect(reportPng.bytes).toBeGreaterThan(20_000);
    } finally {
      await ctx.close();
    }
  }, 60_000);

  it('runs no script, breaks no CSP rule and fits a phone', async () => {
    if (!server) throw new Error('setup did not finish');
    const ctx = await context({ javaScript: true, width: 390, height: 844 });
    try {
      const page = await ctx.newPage();
      const problems: string[] = [];
      page.on('dialog', (d) => {
        problems.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      for (const path of [
        '/admin/reports',
        `/admin/reports/${evil.reportId}`,
        `/admin/reports/${showcase.reportId}`,
      ]) {
        const res = await page.goto(`${server.url}${path}`);
        expect(res?.status(), path).toBe(200);
        // the stylesheet applied (its nonce matched): the header is dark
        // (browser code as text: this project's types have no DOM)
        const header = await page.evaluate(
          'getComputedStyle(document.querySelector("header.top")).backgroundColor',
        );
        expect(header).toBe('rgb(17, 24, 39)');
        const overflow = Number(
          await page.evaluate(
            'document.documentElement.scrollWidth - document.documentElement.clientWidth',
          ),
        );
        expect(overflow, path).toBeLessThanOrEqual(0);
      }
      expect(await page.locator('h1').innerText()).toMatch(/^Spring renewals/);
      await page.goto(`${server.url}/admin/reports/${evil.reportId}`);
      expect(await page.locator('h1').innerText()).toContain(EVIL);
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 60_000);
});
