import platformClient from 'purecloud-platform-client-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CAMPAIGN_IDS } from './demo';
import { startSimulator, type Simulator } from './server';
import { campaignPredicate } from './testing/predicates';

/**
 * The official JavaScript SDK cannot reach an http:// base with setEnvironment (it always builds
 * https://api.<env> and https://login.<env>), but its gateway setting takes protocol, host and
 * port for both login and API calls: that points it at the simulator.
 */
describe('official SDK purecloud-platform-client-v2 against the simulator', () => {
  let sim: Simulator;
  const client = platformClient.ApiClient.instance;

  beforeAll(async () => {
    sim = await startSimulator();
    client.setGateway({
      host: '127.0.0.1',
      protocol: 'http',
      port: sim.port,
      path_params_login: '',
      path_params_api: '',
    });
  });
  afterAll(async () => {
    client.setGateway(undefined as never);
    await sim.close();
  });

  it('logs in with the client-credentials grant', async () => {
    const auth = await client.loginClientCredentialsGrant(sim.clientId, sim.clientSecret);
    expect(typeof auth.accessToken).toBe('string');
    expect(sim.state.tokens.has(auth.accessToken)).toBe(true);
  });

  it('reads a campaign and its progress', async () => {
    const outbound = new platformClient.OutboundApi();
    const campaign = await outbound.getOutboundCampaign(DEMO_CAMPAIGN_IDS.guide);
    expect(campaign.id).toBe(DEMO_CAMPAIGN_IDS.guide);
    expect(campaign.campaignStatus).toBe('complete');
    expect(campaign.contactList?.id).toBeTruthy();
    const progress = await outbound.getOutboundCampaignProgress(DEMO_CAMPAIGN_IDS.guide);
    expect(progress.numberOfContactsCalled).toBe(1500);
    const list = await outbound.getOutboundCampaigns({ pageSize: 2, pageNumber: 2 });
    expect(list.pageNumber).toBe(2);
    expect(list.entities).toHaveLength(2);
    expect(list.total).toBe(4);
  });

  it('rejects a 404 with the Genesys error body (the SDK rejects with the body itself)', async () => {
    const outbound = new platformClient.OutboundApi();
    await expect(outbound.getOutboundCampaign('missing')).rejects.toMatchObject({
      status: 404,
      code: 'not.found',
    });
  });

  it('queries conversation aggregates', async () => {
    const analytics = new platformClient.AnalyticsApi();
    const res = await analytics.postAnalyticsConversationsAggregatesQuery({
      interval: '2020-01-01T00:00:00.000Z/2035-01-01T00:00:00.000Z',
      groupBy: ['outboundCampaignId'],
      filter: { type: 'and', predicates: [campaignPredicate(DEMO_CAMPAIGN_IDS.guide)] },
      metrics: ['nOutboundAttempted', 'nOutboundConnected', 'tHandle'],
    });
    const metrics = res.results?.[0]?.data?.[0]?.metrics ?? [];
    expect(metrics.find((m) => m.metric === 'nOutboundAttempted')?.stats?.count).toBe(1500);
    expect(metrics.find((m) => m.metric === 'nOutboundConnected')?.stats?.count).toBe(450);
    const handle = metrics.find((m) => m.metric === 'tHandle')?.stats;
    expect((handle?.sum ?? 0) / (handle?.count ?? 1)).toBe(120_000);
  });
});
