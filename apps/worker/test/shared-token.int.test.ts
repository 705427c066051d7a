import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startWorkerRuntime, type WorkerRuntime } from '../src';
import { startPipeline, type Pipeline } from '../src/testing/harness';

/**
 * Issue 16: one OAuth token per worker fleet. Two worker runtimes on one QUEUE_PREFIX (as two
 * processes), the compliance step's configuration calls included: the simulator sees one
 * /oauth/token call and one bearer token. Real Redis and PostgreSQL, the simulator over HTTP.
 */

const SETTINGS_PATH = '/api/v2/outbound/settings';

describe('the worker runtimes share one OAuth token', () => {
  let p: Pipeline | undefined;
  let second: WorkerRuntime | undefined;
  afterEach(async () => {
    await second?.close();
    second = undefined;
    await p?.close();
    p = undefined;
  });

  it('two runtimes deliver reports, compliance calls included, with one /oauth/token call', async () => {
    p = await startPipeline();
    second = await startWorkerRuntime(p.config, { logger: pino({ level: 'silent' }) });
    const first = p.runtime!;

    const campaigns = await Promise.all(
      [0, 1, 2, 3].map(() => p!.sim.createCampaign({ contactCount: 20 })),
    );
    for (const c of campaigns)
      await p.sim.runToCompletion(c.id, {
        durationSeconds: 2,
        outcomes: { attempted: 20, connected: 10, abandoned: 1, avgHandleMs: 1500 },
      });
    // both processes' clients call Genesys for sure, whichever takes the jobs
    await Promise.all([
      first.genesys.getCampaign(campaigns[0]!.id),
      second.genesys.getCampaign(campaigns[1]!.id),
    ]);
    const runIds = await Promise.all(
      campaigns.map((c) => p!.finish({ campaignId: c.id, status: 'completed' })),
    );
    for (const runId of runIds) expect((await p.waitForRun(runId)).stage).toBe('delivered');

    const log = await p.sim.requestLog();
    // the compliance step ran: the org's settings were read and every report names the campaign
    // version it archived (the campaign itself comes from the run's own lookup)
    expect(log.some((r) => r.path === SETTINGS_PATH && r.status === 200)).toBe(true);
    const { rows } = await p.pg.pool.query<{ campaign_version: number | null }>(
      `select campaign_version from ${p.pg.table()}`,
    );
    expect(rows).toHaveLength(campaigns.length);
    for (const row of rows) expect(row.campaign_version).toEqual(expect.any(Number));
    // one token for all of it: the two runtimes, analytics and compliance alike
    expect(log.filter((r) => r.path === '/oauth/token')).toHaveLength(1);
    const api = log.filter((r) => r.path.startsWith('/api/'));
    expect(api.length).toBeGreaterThan(10);
    expect(new Set(api.map((r) => r.token))).toEqual(new Set([api[0]!.token]));
    expect(api.every((r) => r.status === 200)).toBe(true);

    // nothing under the prefix holds the bearer token in plain
    const tokens = [...p.sim.state.tokens.keys()];
    expect(tokens).toHaveLength(1);
    const keys = await p.redis.redis.keys(`${p.config.queuePrefix}*`);
    const tokenKeys = keys.filter((k) => k.includes(':genesys:token:'));
    expect(tokenKeys).toHaveLength(1);
    const stored = await p.redis.redis.get(tokenKeys[0]!);
    expect(stored).not.toContain(tokens[0]!);
  }, 90_000);
});
