import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CAMPAIGN_IDS } from './demo';
import { startSimulator, type Simulator } from './server';
import { api, getToken } from './testing/helpers';

interface Page {
  entities: { id: string; name: string }[];
  pageSize: number;
  pageNumber: number;
  total: number;
  pageCount: number;
  nextUri?: string;
}

describe('outbound campaigns', () => {
  let sim: Simulator;
  let token: string;
  beforeAll(async () => {
    sim = await startSimulator();
    token = await getToken(sim);
  });
  afterAll(() => sim.close());

  it('starts with the demo campaigns, finished', async () => {
    const guide = await api(sim, token, `/api/v2/outbound/campaigns/${DEMO_CAMPAIGN_IDS.guide}`);
    expect(guide.status).toBe(200);
    expect(guide.body).toMatchObject({
      id: DEMO_CAMPAIGN_IDS.guide,
      name: 'Autumn Renewals',
      campaignStatus: 'complete',
      alwaysRunning: false,
      dialingMode: 'predictive',
      selfUri: `/api/v2/outbound/campaigns/${DEMO_CAMPAIGN_IDS.guide}`,
    });
    const contactList = guide.body.contactList as { id?: unknown; name?: unknown };
    expect(typeof contactList.id).toBe('string');
    expect(typeof contactList.name).toBe('string');
    expect(typeof guide.body.version).toBe('number');
    expect(Date.parse(guide.body.dateModified as string)).toBeLessThan(Date.now());
    const stopped = await api(
      sim,
      token,
      `/api/v2/outbound/campaigns/${DEMO_CAMPAIGN_IDS.stopped}`,
    );
    expect(stopped.body.campaignStatus).toBe('off');
    const always = await api(
      sim,
      token,
      `/api/v2/outbound/campaigns/${DEMO_CAMPAIGN_IDS.alwaysRunning}`,
    );
    expect(always.body).toMatchObject({ campaignStatus: 'on', alwaysRunning: true });
  });

  it('has every demo conversation visible in analytics at start, after-call work included', async () => {
    for (const id of Object.values(DEMO_CAMPAIGN_IDS)) {
      const expected = await sim.expected(id);
      expect(expected.visibleAt, id).not.toBeNull();
      expect(Date.parse(expected.visibleAt as string), id).toBeLessThan(Date.now());
      // Finished campaigns' last calls end after the finish, but long ago.
      if (expected.campaignStatus === 'complete')
        expect(Date.parse(expected.lastEnd as string)).toBeGreaterThan(
          Date.parse(expected.lastDial as string),
        );
    }
    const guide = await sim.expected(DEMO_CAMPAIGN_IDS.guide);
    expect(guide).toMatchObject({ attempted: 1500, connected: 450, avgHandleSeconds: 120 });
  });

  it('answers 404 with a Genesys error body for an unknown id', async () => {
    const res = await api(sim, token, '/api/v2/outbound/campaigns/does-not-exist');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'not.found', status: 404 });
    expect(res.body.contextId).toBe(res.headers.get('inin-correlation-id'));
    expect(
      (await api(sim, token, '/api/v2/outbound/campaigns/does-not-exist/progress')).status,
    ).toBe(404);
  });

  it('reports progress with the platform field names', async () => {
    const res = await api(
      sim,
      token,
      `/api/v2/outbound/campaigns/${DEMO_CAMPAIGN_IDS.stopped}/progress`,
    );
    expect(res.status).toBe(200);
    const contactList = sim.state.getCampaign(DEMO_CAMPAIGN_IDS.stopped).contactList;
    expect(res.body).toEqual({
      campaign: {
        id: DEMO_CAMPAIGN_IDS.stopped,
        name: 'Spring Survey',
        selfUri: `/api/v2/outbound/campaigns/${DEMO_CAMPAIGN_IDS.stopped}`,
      },
      contactList: { ...contactList, selfUri: `/api/v2/outbound/contactlists/${contactList.id}` },
      numberOfContactsCalled: 300,
      numberOfContactsMessaged: 0,
      totalNumberOfContacts: 600,
      percentage: 50,
      numberOfContactsSkipped: {},
    });
  });

  it('pages the list with pageSize and pageNumber (1-based)', async () => {
    for (let i = 0; i < 7; i++)
      await sim.createCampaign({ id: `page-${i}`, name: `Paging ${i}`, contactCount: 1 });
    const all = await api<Page>(sim, token, '/api/v2/outbound/campaigns');
    expect(all.body).toMatchObject({ pageSize: 25, pageNumber: 1, total: 11, pageCount: 1 });
    expect(all.body.entities).toHaveLength(11);

    const p1 = await api<Page>(sim, token, '/api/v2/outbound/campaigns?pageSize=4&pageNumber=1');
    const p3 = await api<Page>(sim, token, '/api/v2/outbound/campaigns?pageSize=4&pageNumber=3');
    expect(p1.body).toMatchObject({ pageSize: 4, pageNumber: 1, total: 11, pageCount: 3 });
    expect(p1.body.entities).toHaveLength(4);
    expect(p1.body.nextUri).toContain('pageNumber=2');
    expect(p3.body.entities).toHaveLength(3);
    expect(p3.body.nextUri).toBeUndefined();
    const ids = new Set<string>();
    for (let n = 1; n <= 3; n++) {
      const page = await api<Page>(
        sim,
        token,
        `/api/v2/outbound/campaigns?pageSize=4&pageNumber=${n}`,
      );
      page.body.entities.forEach((e) => ids.add(e.id));
    }
    expect(ids.size).toBe(11);
    const beyond = await api<Page>(
      sim,
      token,
      '/api/v2/outbound/campaigns?pageSize=4&pageNumber=9',
    );
    expect(beyond.body.entities).toEqual([]);

    const byName = await api<Page>(sim, token, '/api/v2/outbound/campaigns?name=paging');
    expect(byName.body.total).toBe(7);
    expect((await api(sim, token, '/api/v2/outbound/campaigns?pageSize=101')).status).toBe(400);
    expect((await api(sim, token, '/api/v2/outbound/campaigns?pageNumber=0')).status).toBe(400);
  });

  it('moves a campaign through on -> complete, and on -> off when stopped', async () => {
    const created = await sim.createCampaign({ id: 'life-1', contactCount: 50 });
    expect(created.campaignStatus).toBe('on');
    const done = await sim.runToCompletion('life-1', { connectRate: 0.5 });
    expect(done.campaign.campaignStatus).toBe('complete');
    expect(done.campaign.version).toBe(2);
    expect(done.expected).toMatchObject({ contactsCalled: 50, contactCount: 50 });
    expect(done.expected.attempted).toBeGreaterThanOrEqual(50);
    await expect(sim.runToCompletion('life-1')).rejects.toThrow(/already complete/);

    await sim.createCampaign({ id: 'life-2', contactCount: 100 });
    const stopped = await sim.stopCampaign('life-2', { fraction: 0.25, forced: true });
    expect(stopped.campaign.campaignStatus).toBe('forced_off');
    expect(stopped.expected.contactsCalled).toBe(25);
    const progress = await api(sim, token, '/api/v2/outbound/campaigns/life-2/progress');
    expect(progress.body).toMatchObject({ numberOfContactsCalled: 25, percentage: 25 });
    // Resume and finish the rest.
    await sim.startCampaign('life-2');
    const rest = await sim.runToCompletion('life-2');
    expect(rest.expected.contactsCalled).toBe(100);

    await sim.createCampaign({ id: 'life-3', contactCount: 10, alwaysRunning: true });
    const always = await sim.runToCompletion('life-3');
    expect(always.campaign.campaignStatus).toBe('on');
  });

  it('is deterministic for one seed', async () => {
    const a = await startSimulator({ seed: 7, demoCampaigns: false });
    const b = await startSimulator({ seed: 7, demoCampaigns: false });
    try {
      for (const s of [a, b]) {
        await s.createCampaign({ id: 'same', contactCount: 300 });
        await s.runToCompletion('same', { endAt: '2025-01-01T10:00:00.000Z' });
      }
      const [ea, eb] = await Promise.all([a.expected('same'), b.expected('same')]);
      expect(ea).toEqual(eb);
      // About 0.3 + 0.7 * 0.5 * 0.3 + ... of 300 contacts connect within three dials.
      expect(ea.connected).toBeGreaterThan(90);
      expect(ea.connected).toBeLessThan(170);
      expect(ea.lastDial).toBe('2025-01-01T10:00:00.000Z');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
