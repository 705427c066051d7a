import { expect, it } from 'vitest';
import { pino } from 'pino';
import { closeAfterEach, createRedisFixture } from '@wrapup/shared/testing';
import { RunStore } from '@wrapup/runs';
import { clientFor, simWith } from '../testing/genesys';
import { sampleReport } from '../testing/sinks';
import { createComplianceChecker } from '.';

const closing = closeAfterEach();

it("reports assessed together read the org's Outbound Settings once (no stampede on an empty cache)", async () => {
  const sim = closing(await simWith());
  const fx = await createRedisFixture('settings-flight');
  closing({ close: () => fx.cleanup() });
  const { client } = clientFor(sim);
  const checker = createComplianceChecker({
    genesys: client,
    runs: new RunStore(fx.redis, {
      prefix: fx.prefix,
      dedupeTtlSeconds: 3600,
      retentionSeconds: 3600,
      startTtlSeconds: 3600,
    }),
    redis: fx.redis,
    prefix: fx.prefix,
    abandonRateLimit: 0.03,
    logger: pino({ level: 'silent' }),
  });
  // ten reports of one campaign reach the warehouse stage at the same moment (a burst)
  const campaign = await sim.createCampaign({ contactCount: 5 });
  await sim.resetLog();
  const assessed = await Promise.all(
    Array.from({ length: 10 }, () =>
      checker.assess({ ...sampleReport().report, campaignId: campaign.id }),
    ),
  );
  const settingsCalls = (await sim.requestLog()).filter(
    (r) => r.path === '/api/v2/outbound/settings',
  );
  expect(settingsCalls).toHaveLength(1);
  expect(assessed.every((a) => a.report.compliance?.denominator === 'ALL_CALLS')).toBe(true);
  expect(assessed.reduce((n, a) => n + a.genesysCalls, 0)).toBeGreaterThanOrEqual(1);
});
