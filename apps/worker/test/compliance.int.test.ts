import { afterEach, describe, expect, it } from 'vitest';
import { reportIdFor, type AnalyticsJob, type Report } from '@wrapup/shared';
import { startPipeline, type Pipeline } from '../src/testing/harness';

/**
 * Issue 20: the campaign configuration archived with its report (once per campaign version), the
 * compliance abandon rate by the org's setting, and `report.compliance` above the limit. Real
 * Redis and PostgreSQL, the simulator over HTTP.
 */

const SETTINGS_PATH = '/api/v2/outbound/settings';
const campaignPath = (id: string) => `/api/v2/outbound/campaigns/${id}`;

/**
 * What the ingest does for a campaign copy (EventBridge / Notification API): it carries `version`;
 * without one, for a guide-shaped webhook finish (no version).
 */
async function finishCopy(
  p: Pipeline,
  campaignId: string,
  version: number | undefined,
  opts: { status?: 'completed' | 'stopped'; occurredAt?: string; contactCount: number },
): Promise<string> {
  const shape = version === undefined ? 'guide' : 'eventbridge';
  const occurredAt = opts.occurredAt ?? new Date().toISOString();
  const status = opts.status ?? 'completed';
  const eventId = `evt-${campaignId}-${occurredAt}`;
  const intake = await p.runs.intake({
    eventId,
    campaignId,
    status,
    occurredAt,
    now: new Date().toISOString(),
    ...(version !== undefined && { campaignVersion: version }),
    shape,
  });
  expect(intake.outcome).toBe('new');
  const job: AnalyticsJob = {
    runId: intake.runId,
    campaignId,
    status,
    occurredAt,
    eventId,
    shape,
    receivedAt: new Date().toISOString(),
    durationSeconds: 600,
    contactCount: opts.contactCount,
  };
  await p.analytics.add('run', job, { jobId: intake.runId, attempts: 3 });
  return intake.runId;
}

async function simGet(p: Pipeline, path: string): Promise<unknown> {
  const tokenRes = await fetch(`${p.sim.url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${p.sim.clientId}:${p.sim.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  const res = await fetch(`${p.sim.url}${path}`, {
    headers: { authorization: `Bearer ${access_token}` },
  });
  expect(res.status).toBe(200);
  return res.json();
}

const archiveTable = (p: Pipeline) => `"${p.pg.schema}"."campaign_configurations"`;
const archiveRows = async (p: Pipeline, campaignId: string) =>
  (
    await p.pg.pool.query(
      `select * from ${archiveTable(p)} where campaign_id = $1 order by version`,
      [campaignId],
    )
  ).rows as {
    campaign_id: string;
    version: number;
    configuration: unknown;
    outbound_settings: unknown;
    archived_at: Date;
  }[];
const reportRow = async (p: Pipeline, runId: string) => {
  const { rows } = await p.pg.pool.query(`select * from ${p.pg.table()} where report_id = $1`, [
    reportIdFor(runId),
  ]);
  return rows[0] as { campaign_version: number | null; report: Report } | undefined;
};
const notificationsOf = (p: Pipeline, runId: string, event: string) =>
  p.receiver
    .delivered()
    .filter(
      (b) =>
        (b as { event?: string; runId?: string }).event === event &&
        (b as { runId?: string }).runId === runId,
    );

/**
 * The compliance check's configuration requests: the campaign and settings reads made with the
 * worker's token (the one its analytics queries carry: one token per worker since issue 16;
 * simGet's reads use their own). With ANALYTICS_BATCH the analytics stage reads campaigns through
 * the listing, never `GET /api/v2/outbound/campaigns/{id}`.
 */
async function configurationRequests(p: Pipeline) {
  const log = await p.sim.requestLog();
  const token = log.find((r) => r.path.endsWith('/aggregates/query'))?.token;
  expect(token).toBeTruthy();
  return log.filter(
    (r) =>
      r.token === token &&
      r.method === 'GET' &&
      (r.path === SETTINGS_PATH || /^\/api\/v2\/outbound\/campaigns\/[^/]+$/.test(r.path)),
  );
}

/** Both notifications of a run have had time to arrive once `report.delivered` has. */
async function settle(p: Pipeline, runId: string) {
  await expect.poll(() => notificationsOf(p, runId, 'report.delivered').length).toBe(1);
  await new Promise((r) => setTimeout(r, 300));
}

describe('compliance: configuration archive and abandon-rate check (issue 20)', () => {
  let p: Pipeline | undefined;
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  it('archives what the simulator serves once per campaign version, and flags a rate over the campaign target once per run', async () => {
    p = await startPipeline();
    // target 2% (the campaign's own, below ABANDON_RATE_LIMIT's 3%); ALL_CALLS (the simulator's default)
    const over = await p.sim.createCampaign({ contactCount: 40, abandonTarget: 2 });
    await p.sim.runToCompletion(over.id, {
      durationSeconds: 2,
      outcomes: { attempted: 40, connected: 20, abandoned: 2, avgHandleMs: 1500 },
    });
    const version = (await simGet(p, campaignPath(over.id))) as { version: number };
    const runId = await finishCopy(p, over.id, version.version, { contactCount: 40 });
    expect((await p.waitForRun(runId)).stage).toBe('delivered');
    await settle(p, runId);

    const row = await reportRow(p, runId);
    expect(row?.campaign_version).toBe(version.version);
    expect(row?.report.compliance).toEqual({
      abandonRate: 2 / 40,
      denominator: 'ALL_CALLS',
      rule: expect.stringContaining('abandoned / attempted') as unknown,
      limit: 0.02,
      limitSource: 'campaign',
      campaignTarget: 0.02,
      over: true,
      configVersion: version.version,
    });
    expect(row?.report.metrics.abandonRate).toBe(2 / 20); // the plain rate stays as it was

    // the archive is what the simulator serves, for that version
    const archived = await archiveRows(p, over.id);
    expect(archived).toHaveLength(1);
    expect(archived[0]?.version).toBe(version.version);
    expect(archived[0]?.configuration).toEqual(await simGet(p, campaignPath(over.id)));
    expect(archived[0]?.outbound_settings).toEqual(await simGet(p, SETTINGS_PATH));
    expect(archived[0]?.configuration).toMatchObject({
      abandonRate: 2,
      dialingMode: 'predictive',
      outboundLineCount: 10,
      priority: 5,
    });
    // the campaign is the one the run's own (batched) lookup returned: no second read of it
    const calls = await configurationRequests(p);
    expect(calls.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${SETTINGS_PATH}`]);

    const flagged = notificationsOf(p, runId, 'report.compliance');
    expect(flagged).toHaveLength(1);
    expect((flagged[0] as { text: string }).text).toBe(
      `Campaign ${over.name} (${over.id}) compliance abandon rate 5.0% (all calls) is over its limit 2.0% (the campaign's own abandonRate target)`,
    );

    // a second report of the same campaign version: no archive row, no configuration call
    const second = await finishCopy(p, over.id, version.version, {
      status: 'stopped',
      occurredAt: new Date(Date.now() + 120_000).toISOString(),
      contactCount: 40,
    });
    expect((await p.waitForRun(second)).stage).toBe('delivered');
    await settle(p, second);
    expect(await archiveRows(p, over.id)).toHaveLength(1);
    expect(await configurationRequests(p)).toHaveLength(1);
    expect((await reportRow(p, second))?.campaign_version).toBe(version.version);
    // flagged once for each run, never twice for one
    expect(notificationsOf(p, second, 'report.compliance')).toHaveLength(1);
    expect(notificationsOf(p, runId, 'report.compliance')).toHaveLength(1);

    // below its target: no flag
    const under = await p.sim.createCampaign({ contactCount: 40, abandonTarget: 10 });
    await p.sim.runToCompletion(under.id, {
      durationSeconds: 2,
      outcomes: { attempted: 40, connected: 20, abandoned: 1, avgHandleMs: 1500 },
    });
    const underVersion = ((await simGet(p, campaignPath(under.id))) as { version: number }).version;
    const quiet = await finishCopy(p, under.id, underVersion, { contactCount: 40 });
    expect((await p.waitForRun(quiet)).stage).toBe('delivered');
    await settle(p, quiet);
    expect((await reportRow(p, quiet))?.report.compliance).toMatchObject({
      abandonRate: 1 / 40,
      limit: 0.03, // ABANDON_RATE_LIMIT is lower than its 10% target
      limitSource: 'ABANDON_RATE_LIMIT',
      over: false,
    });
    expect(notificationsOf(p, quiet, 'report.compliance')).toHaveLength(0);
    expect(await archiveRows(p, under.id)).toHaveLength(1);
  }, 60_000);

  it("a finish that carries no version (a guide-shaped webhook) is archived from the run's own lookup, with no campaign read of its own", async () => {
    p = await startPipeline();
    const campaign = await p.sim.createCampaign({ contactCount: 20, abandonTarget: 4 });
    await p.sim.runToCompletion(campaign.id, {
      durationSeconds: 2,
      outcomes: { attempted: 20, connected: 10, abandoned: 1, avgHandleMs: 1500 },
    });
    const served = (await simGet(p, campaignPath(campaign.id))) as { version: number };
    const runId = await finishCopy(p, campaign.id, undefined, { contactCount: 20 });
    expect((await p.waitForRun(runId)).stage).toBe('delivered');
    await settle(p, runId);
    expect((await reportRow(p, runId))?.campaign_version).toBe(served.version);
    expect((await reportRow(p, runId))?.report.compliance).toMatchObject({
      campaignTarget: 0.04,
      configVersion: served.version,
    });
    const archived = await archiveRows(p, campaign.id);
    expect(archived.map((a) => a.version)).toEqual([served.version]);
    expect(archived[0]?.configuration).toEqual(served);
    expect((await configurationRequests(p)).map((r) => r.path)).toEqual([SETTINGS_PATH]);
  }, 60_000);

  it("switches the denominator with the org's setting: same campaign data, different rate", async () => {
    p = await startPipeline();
    const outcomes = { attempted: 40, connected: 10, abandoned: 1, avgHandleMs: 1500 };
    const rates: Record<string, Report['compliance']> = {};
    for (const denominator of ['ALL_CALLS', 'CALLS_THAT_REACHED_QUEUE'] as const) {
      await p.sim.setFaults({ complianceAbandonRateDenominator: denominator });
      // the settings are cached for a few minutes: as if that time had passed
      await p.redis.redis.del(`${p.config.queuePrefix}:compliance:outbound-settings`);
      const c = await p.sim.createCampaign({ contactCount: 40 });
      await p.sim.runToCompletion(c.id, { durationSeconds: 2, outcomes });
      const { version } = (await simGet(p, campaignPath(c.id))) as { version: number };
      const runId = await finishCopy(p, c.id, version, { contactCount: 40 });
      expect((await p.waitForRun(runId)).stage).toBe('delivered');
      await settle(p, runId);
      rates[denominator] = (await reportRow(p, runId))?.report.compliance;
      expect(notificationsOf(p, runId, 'report.compliance')).toHaveLength(
        denominator === 'ALL_CALLS' ? 0 : 1,
      );
      const [archived] = await archiveRows(p, c.id);
      expect(archived?.outbound_settings).toMatchObject({
        complianceAbandonRateDenominator: denominator,
      });
    }
    // 5% target, ABANDON_RATE_LIMIT 3% the lower: 1/40 = 2.5% passes, 1/10 = 10% does not
    expect(rates.ALL_CALLS).toMatchObject({
      abandonRate: 1 / 40,
      denominator: 'ALL_CALLS',
      limit: 0.03,
      limitSource: 'ABANDON_RATE_LIMIT',
      over: false,
    });
    expect(rates.CALLS_THAT_REACHED_QUEUE).toMatchObject({
      abandonRate: 1 / 10,
      denominator: 'CALLS_THAT_REACHED_QUEUE',
      limit: 0.03,
      over: true,
    });
  }, 60_000);

  it('the final re-check keeps the configuration, flags a run only when it newly crosses, and costs no configuration call', async () => {
    p = await startPipeline({ env: { FINAL_REPORT_AFTER: '2s' } });
    const pipe = p;
    // 5% target, ABANDON_RATE_LIMIT 3% the lower, ALL_CALLS
    const above = await pipe.sim.createCampaign({ contactCount: 40 });
    await pipe.sim.runToCompletion(above.id, {
      durationSeconds: 2,
      outcomes: { attempted: 40, connected: 20, abandoned: 2, avgHandleMs: 1500 },
    });
    const below = await pipe.sim.createCampaign({ contactCount: 40 });
    await pipe.sim.runToCompletion(below.id, {
      durationSeconds: 2,
      outcomes: { attempted: 40, connected: 20, abandoned: 1, avgHandleMs: 1500 },
    });
    const runs: Record<string, string> = {};
    const versions: Record<string, number> = {};
    for (const c of [above, below]) {
      const { version } = (await simGet(pipe, campaignPath(c.id))) as { version: number };
      versions[c.id] = version;
      runs[c.id] = await finishCopy(pipe, c.id, version, { contactCount: 40 });
      expect((await pipe.waitForRun(runs[c.id]!)).stage).toBe('delivered');
      await settle(pipe, runs[c.id]!);
    }
    expect(notificationsOf(pipe, runs[above.id]!, 'report.compliance')).toHaveLength(1);
    expect(notificationsOf(pipe, runs[below.id]!, 'report.compliance')).toHaveLength(0);
    const before = (await configurationRequests(pipe)).length;

    // Genesys reprocesses the data of `below`: two more abandoned calls (3 of 42: 7.1%)
    const list = pipe.sim.state.conversations.get(below.id) ?? [];
    const abandoned = list.find((conv) => conv.abandoned);
    expect(abandoned).toBeDefined();
    pipe.sim.state.addConversations(
      below.id,
      [1, 2].map((i) => ({
        ...abandoned!,
        conversationId: `${abandoned!.conversationId}-late-${i}`,
      })),
    );

    for (const runId of Object.values(runs))
      await expect
        .poll(async () => (await pipe.runs.get(runId))?.finalizedAt, { timeout: 20_000 })
        .toBeDefined();
    await new Promise((r) => setTimeout(r, 500));
    const finalAbove = await reportRow(pipe, runs[above.id]!);
    const finalBelow = await reportRow(pipe, runs[below.id]!);
    expect(finalAbove?.report).toMatchObject({ revision: 2, final: true });
    expect(finalAbove?.report.compliance).toMatchObject({ over: true, abandonRate: 2 / 40 });
    expect(finalBelow?.report.compliance).toMatchObject({
      over: true,
      abandonRate: 3 / 42,
      denominator: 'ALL_CALLS',
    });
    expect(finalBelow?.campaign_version).toBe(versions[below.id]);
    expect(finalBelow?.report.compliance?.configVersion).toBe(versions[below.id]);
    // flagged once per run: `above` by its first report, `below` when its final one crossed
    expect(notificationsOf(pipe, runs[above.id]!, 'report.compliance')).toHaveLength(1);
    expect(notificationsOf(pipe, runs[below.id]!, 'report.compliance')).toHaveLength(1);
    expect((await configurationRequests(pipe)).length).toBe(before);
  }, 90_000);

  it('ABANDON_RATE_LIMIT=0 turns the check off; the configuration is still archived', async () => {
    p = await startPipeline({ env: { ABANDON_RATE_LIMIT: '0' } });
    const c = await p.sim.createCampaign({ contactCount: 20, abandonTarget: 1 });
    await p.sim.runToCompletion(c.id, {
      durationSeconds: 2,
      outcomes: { attempted: 20, connected: 10, abandoned: 5, avgHandleMs: 1500 },
    });
    const { version } = (await simGet(p, campaignPath(c.id))) as { version: number };
    const runId = await finishCopy(p, c.id, version, { contactCount: 20 });
    expect((await p.waitForRun(runId)).stage).toBe('delivered');
    await settle(p, runId);
    expect((await reportRow(p, runId))?.report.compliance).toMatchObject({
      abandonRate: 5 / 20,
      limit: null,
      limitSource: null,
      over: false,
    });
    expect(notificationsOf(p, runId, 'report.compliance')).toHaveLength(0);
    expect(await archiveRows(p, c.id)).toHaveLength(1);
  }, 60_000);
});
