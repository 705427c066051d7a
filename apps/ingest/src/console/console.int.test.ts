import { describe, expect, it } from 'vitest';
import { RUN_STAGES, type Report } from '@wrapup/shared';
import { recordCommands } from '@wrapup/shared/testing';
import { DASHBOARD, campaignId, useHarness } from '../testing/app';
import { SEED_HOURLY, seedEveryStage, seedRun } from '../testing/reports';
import { STAGE_LABELS } from './format';

/** The reports console over HTTP: real Redis, the ingest's own app and Basic auth. */
const h = useHarness({ DASHBOARD_USER: DASHBOARD.user, DASHBOARD_PASSWORD: DASHBOARD.password });
const AUTH = {
  authorization: `Basic ${Buffer.from(`${DASHBOARD.user}:${DASHBOARD.password}`).toString('base64')}`,
};
const get = (path: string, headers: Record<string, string> = AUTH) =>
  fetch(`${h.url}${path}`, { headers, redirect: 'manual' });
const html = async (path: string) => {
  const res = await get(path);
  expect(res.status, path).toBe(200);
  return res.text();
};

const EVIL = `<script>alert("owned")</script> & 'Spring' "sale"`;

/** Seeds a delivered run of the campaign that finished 2024-05-01 11:30 UTC. */
const seedDelivered = (id: string, opts: { campaignName?: string; hourly?: null } = {}) =>
  seedRun(h.ingest.runs, {
    campaignId: id,
    stage: 'delivered',
    occurredAt: '2024-05-01T11:30:00.000Z',
    ...opts,
  });

describe('reports console', () => {
  it('is behind the admin Basic auth, GET only, with a strict CSP and no script at all', async () => {
    expect((await get('/admin/reports', {})).status).toBe(401);
    expect((await get('/admin/reports/rpt-00000000000000000000000000000000', {})).status).toBe(401);
    const res = await get('/admin/reports');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html; charset=UTF-8/i);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(
      /^default-src 'none'; style-src 'nonce-[A-Za-z0-9+/=]{24}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/,
    );
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    const body = await res.text();
    expect(body.startsWith('<!doctype html>')).toBe(true);
    expect(body).toContain(`<style nonce="${nonce}">`);
    expect(body).not.toMatch(/<script|\son[a-z]+=|javascript:|\sstyle=/i);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    // a second page has a new nonce
    const again = await get('/admin/reports');
    expect(again.headers.get('content-security-policy')).not.toBe(csp);
    // nothing but reads: a cross-site write is refused first, a same-origin one finds no route
    const post = await fetch(`${h.url}/admin/reports`, {
      method: 'POST',
      headers: { ...AUTH, 'sec-fetch-site': 'cross-site' },
    });
    expect(post.status).toBe(403);
    const own = await fetch(`${h.url}/admin/reports`, { method: 'POST', headers: AUTH });
    expect(own.status).toBe(404);
  });

  it('renders a run in each stage, in the list and on its page', async () => {
    const prefix = campaignId('stages');
    const seeded = await seedEveryStage(h.ingest.runs, prefix);
    const list = await html(`/admin/reports?limit=100`);
    for (const run of seeded) {
      const row = new RegExp(
        `<tr data-run="${run.runId}" data-stage="${run.stage}">([\\s\\S]*?)</tr>`,
      ).exec(list)?.[1];
      expect(row, run.stage).toBeDefined();
      expect(row).toContain(
        `<span class="badge stage-${run.stage}" data-stage="${run.stage}">${STAGE_LABELS[run.stage]}</span>`,
      );
      expect(row).toContain(`href="/admin/reports/${run.reportId}"`);
      expect(row).toContain(run.campaignId);
      if (run.report) {
        expect(row).toContain(`Campaign ${run.stage}`);
        expect(row).toContain('600'); // attempts
        expect(row).toContain('34.0%'); // connect rate 204 / 600
        expect(row).toContain('5.9%'); // abandon rate 12 / 204
        expect(row).toContain('95.5 s');
        expect(row).toContain(run.stage === 'delivered' ? 'complete' : 'incomplete');
      }
    }
    // newest first: received was seeded last
    const order = seeded.map((r) => list.indexOf(`data-run="${r.runId}"`));
    expect([...order].sort((a, b) => b - a)).toEqual(order);

    for (const run of seeded) {
      const page = await html(`/admin/reports/${run.reportId}`);
      expect(page, run.stage).toContain(`data-stage="${run.stage}"`);
      expect(page).toContain('Run trail');
      expect(page).toContain(`/admin/queues/queue/analytics/${run.runId}`);
      if (run.report) {
        expect(page).toContain('id="hourly-chart"');
        expect(page).toContain('id="wrapup-chart"');
        expect(page).toContain(`/admin/reports/${run.reportId}/report.csv`);
        expect(page).toContain(
          run.stage === 'delivered' ? '<strong>settled</strong>' : '<strong>max-wait</strong>',
        );
        expect(page).toContain('data-step="delivering"');
      } else {
        expect(page).toContain('id="no-report"');
        expect(page).not.toContain('report.csv');
      }
    }
    const failed = seeded.find((r) => r.stage === 'failed');
    const failedPage = await html(`/admin/reports/${failed?.reportId}`);
    expect(failedPage).toContain(
      'warehouse answered 503 &lt;Service Unavailable&gt; &amp; gave up',
    );
  });

  it('escapes a campaign name holding <script> and quotes everywhere it shows', async () => {
    const id = campaignId('evil');
    const run = await seedDelivered(id, { campaignName: EVIL });
    const escaped =
      '&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; &amp; &#39;Spring&#39; &quot;sale&quot;';
    for (const path of [`/admin/reports?campaign=${id}`, `/admin/reports/${run.reportId}`]) {
      const body = await html(path);
      expect(body, path).not.toContain('<script');
      expect(body, path).not.toContain(EVIL);
      expect(body, path).toContain(escaped);
    }
    // a wrap-up code with a comma and quotes, in the chart's text and title
    const page = await html(`/admin/reports/${run.reportId}`);
    expect(page).toContain('NOT_INTERESTED, &quot;really&quot;');
  });

  it('filters by campaign and stage, pages with newer/older links, and refuses a bad filter', async () => {
    const id = campaignId('paged');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const stage = i % 2 === 0 ? 'delivered' : 'failed';
      const run = await seedRun(h.ingest.runs, {
        campaignId: id,
        stage,
        occurredAt: new Date(Date.parse('2024-05-01T11:30:00.000Z') + i * 3_600_000).toISOString(),
      });
      ids.push(run.runId);
    }
    const rows = (body: string) => [...body.matchAll(/<tr data-run="([^"]+)"/g)].map((m) => m[1]);
    const all = await html(`/admin/reports?campaign=${id}`);
    expect(rows(all)).toEqual([...ids].reverse());
    expect(all).toContain(`value="${id}"`);

    const delivered = await html(`/admin/reports?campaign=${id}&stage=delivered&limit=2`);
    expect(rows(delivered)).toEqual([ids[4], ids[2]]);
    expect(delivered).toContain(
      `href="/admin/reports?campaign=${id}&amp;stage=delivered&amp;offset=2&amp;limit=2"`,
    );
    expect(delivered).toContain('<option value="delivered" selected="">delivered</option>');
    const next = await html(`/admin/reports?campaign=${id}&stage=delivered&offset=2&limit=2`);
    expect(rows(next)).toEqual([ids[0]]);
    expect(next).toContain('rel="prev"');
    expect(next).not.toContain('rel="next"');

    const none = await html(`/admin/reports?campaign=${id}&stage=rejected`);
    expect(none).toContain('id="empty"');

    for (const bad of ['stage=bogus', 'campaign=%3Cscript%3E', 'offset=-1', 'limit=1000']) {
      const res = await get(`/admin/reports?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(await res.text()).not.toContain('<script');
    }
    // the refresh is a <meta refresh>, on request only
    expect(await html('/admin/reports?refresh=1')).toContain(
      '<meta http-equiv="refresh" content="30"/>',
    );
    expect(await html('/admin/reports')).not.toContain('http-equiv="refresh"');
  });

  it("lists the campaign's other runs on a report page", async () => {
    const id = campaignId('others');
    const a = await seedDelivered(id);
    const b = await seedRun(h.ingest.runs, {
      campaignId: id,
      stage: 'failed',
      occurredAt: '2024-05-02T11:30:00.000Z',
    });
    const page = await html(`/admin/reports/${a.reportId}`);
    expect(page).toContain(`href="/admin/reports/${b.reportId}"`);
    expect(page).not.toContain(`<a href="/admin/reports/${a.reportId}">`);
  });

  it('says so when a report has no hourly data; 404 for an unknown or malformed id', async () => {
    const run = await seedDelivered(campaignId('nohourly'), { hourly: null });
    const page = await html(`/admin/reports/${run.reportId}`);
    expect(page).toContain('No hourly data in this report');
    expect(page).not.toContain('id="hourly-chart"');
    expect((await get('/admin/reports/rpt-0123456789abcdef0123456789abcdef')).status).toBe(404);
    expect((await get('/admin/reports/not-a-report')).status).toBe(404);
    expect((await get('/admin/reports/not-a-report/report.csv')).status).toBe(404);
  });

  it('flags a report whose compliance abandon rate is over its limit, with its figures', async () => {
    const run = await seedDelivered(campaignId('compliance'));
    const plain = await html(`/admin/reports/${run.reportId}`);
    expect(plain).toContain('No compliance figures in this report.');
    expect(plain).not.toContain('data-compliance="over"');

    const res = await get(`/admin/reports/${run.reportId}/report.json`);
    const report = (await res.json()) as Report;
    const compliance = {
      abandonRate: 12 / 600,
      denominator: 'ALL_CALLS',
      rule: 'abandoned / attempted (ALL_CALLS: every call placed, busy and no answer included)',
      limit: 0.01,
      limitSource: 'campaign',
      campaignTarget: 0.01,
      over: true,
      configVersion: 7,
    } as const;
    expect(
      await h.ingest.runs.annotateReported(run.runId, {}, { report: { ...report, compliance } }),
    ).toBe(true);
    const page = await html(`/admin/reports/${run.reportId}`);
    const h1 = /<h1>([\s\S]*?)<\/h1>/.exec(page)?.[1];
    expect(h1).toContain(
      '<span class="badge compliance-over" data-compliance="over">abandon rate over limit</span>',
    );
    const facts = /<dl class="facts" id="compliance" data-over="true">([\s\S]*?)<\/dl>/.exec(
      page,
    )?.[1];
    expect(facts).toContain('2.0%'); // 12 / 600
    expect(facts).toContain('ALL_CALLS');
    expect(facts).toContain('1.0% (the campaign&#39;s own abandonRate target)');
    expect(facts).toContain('campaign version 7');
    // the list shows the flag too, next to the abandon rate
    const list = await html(`/admin/reports?campaign=${encodeURIComponent(run.campaignId)}`);
    expect(list).toContain('data-compliance="over"');
  });

  it('draws one bar per hour of the window, heights in proportion', async () => {
    const run = await seedDelivered(campaignId('chart'));
    const page = await html(`/admin/reports/${run.reportId}`);
    const bars = [
      ...page.matchAll(/<rect class="bar attempted"[^>]*height="([\d.]+)"[^>]*data-value="(\d+)"/g),
    ].map((m) => ({ height: Number(m[1]), value: Number(m[2]) }));
    expect(bars.map((b) => b.value)).toEqual(SEED_HOURLY.map((p) => p.attempted));
    const yMax = Number(/data-y-max="(\d+)"/.exec(page)?.[1]);
    const plot = Number(/data-plot-height="(\d+)"/.exec(page)?.[1]);
    expect(yMax).toBe(300);
    for (const b of bars) expect(b.height).toBeCloseTo((b.value / yMax) * plot, 1);
  });

  it('downloads the report as JSON and as RFC 4180 CSV', async () => {
    const run = await seedDelivered(campaignId('dl'), { campaignName: 'Q4, "Renewals"\n=SUM(A1)' });
    const json = await get(`/admin/reports/${run.reportId}/report.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-disposition')).toBe(
      `attachment; filename="${run.reportId}.json"`,
    );
    expect(await json.json()).toEqual(run.report);

    const res = await get(`/admin/reports/${run.reportId}/report.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="${run.reportId}.csv"`,
    );
    const text = await res.text();
    expect(text.startsWith('section,name,value\r\n')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text).toContain(`report,reportId,${run.reportId}\r\n`);
    expect(text).toContain('report,metrics.totalCallsAttempted,600\r\n');
    expect(text).toContain('report,campaignName,"Q4, ""Renewals""\n=SUM(A1)"\r\n');
    expect(text).toContain('wrapUpCodes,"NOT_INTERESTED, ""really""",48\r\n');
    expect(text).toContain('hourly.attempted,2024-05-01T09:00:00.000Z,300\r\n');
    expect(text).toContain('hourly.abandoned,2024-05-01T11:00:00.000Z,4\r\n');
  });

  it('reads Redis once per list page, twice per report page', async () => {
    const [run] = await seedEveryStage(h.ingest.runs, campaignId('calls'));
    await html('/admin/reports'); // loads the script
    const { sent, stop } = recordCommands(h.ingest.redis);
    try {
      await html('/admin/reports?limit=50');
      expect(sent).toEqual(['evalsha']);
      sent.length = 0;
      await html(`/admin/reports?stage=delivered&limit=50`);
      expect(sent).toEqual(['evalsha']);
      sent.length = 0;
      // the run and its report in one pipeline, then the campaign's other runs
      await html(`/admin/reports/${run?.reportId}`);
      expect(sent).toEqual(['hgetall', 'get', 'evalsha']);
    } finally {
      stop();
    }
  });

  it('knows every stage', () => {
    expect(Object.keys(STAGE_LABELS)).toEqual([...RUN_STAGES]);
  });
});
