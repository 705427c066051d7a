import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './server';
import { api, getToken } from './testing/helpers';

/** `GET /api/v2/outbound/settings` (SDK OutboundSettings) and a campaign's abandonRate target. */
describe('outbound settings and abandon targets', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ demoCampaigns: false });
  });
  afterAll(() => sim.close());

  it('serves the settings behind the token; the control API switches the denominator', async () => {
    expect((await fetch(`${sim.url}/api/v2/outbound/settings`)).status).toBe(401);
    const token = await getToken(sim);
    const first = await api(sim, token, '/api/v2/outbound/settings');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      complianceAbandonRateDenominator: 'ALL_CALLS',
      abandonSeconds: 2,
      version: 1,
    });
    await sim.setFaults({ complianceAbandonRateDenominator: 'CALLS_THAT_REACHED_QUEUE' });
    const second = await api(sim, token, '/api/v2/outbound/settings');
    expect(second.body).toMatchObject({
      complianceAbandonRateDenominator: 'CALLS_THAT_REACHED_QUEUE',
      version: 2,
    });
    const refused = await fetch(`${sim.url}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ complianceAbandonRateDenominator: 'SOME_CALLS' }),
    });
    expect(refused.status).toBe(400);
  });

  it("serves each campaign's own abandonRate target (a percentage, default 5)", async () => {
    const token = await getToken(sim);
    const plain = await sim.createCampaign();
    const strict = await sim.createCampaign({ abandonTarget: 1.5 });
    expect((await api(sim, token, `/api/v2/outbound/campaigns/${plain.id}`)).body).toMatchObject({
      abandonRate: 5,
    });
    expect((await api(sim, token, `/api/v2/outbound/campaigns/${strict.id}`)).body).toMatchObject({
      abandonRate: 1.5,
    });
    await expect(sim.createCampaign({ abandonTarget: 120 })).rejects.toThrow(/percentage/);
  });
});
