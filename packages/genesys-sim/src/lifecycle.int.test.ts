import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AggregatesResponse } from './analytics/aggregate';
import type { CopyView, DeliverCopyResult, RunResult } from './control';
import type { ExpectedTotals, SimConversation } from './model/types';
import { startSimulator, type Simulator } from './server';
import { aggregatesPath, api, getToken } from './testing/helpers';
import { startReceiver, type Receiver } from './testing/receiver';

const MIN = 60_000;
const T0 = Date.parse('2025-05-01T09:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

const filter = (id: string) => ({
  type: 'and',
  predicates: [
    { type: 'dimension', dimension: 'outboundCampaignId', operator: 'matches', value: id },
  ],
});

/** One control API call over HTTP; answers status and JSON body. */
async function ctl<T = Record<string, unknown>>(
  sim: Simulator,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${sim.url}/__sim${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

function count(resp: AggregatesResponse, name: string): number | undefined {
  const m = resp.results?.[0]?.data[0]?.metrics.find((x) => x.metric === name);
  return m?.stats.count;
}

describe('campaign lifecycle and its truth', () => {
  let sim: Simulator;
  let token: string;
  let receiver: Receiver;
  const query = (body: unknown) => api<AggregatesResponse>(sim, token, aggregatesPath, body);
  const copies = async (id: string) =>
    (await ctl<{ copies: CopyView[] }>(sim, 'GET', `/campaigns/${id}/copies`)).body.copies;
  const progress = async (id: string) =>
    (await api(sim, token, `/api/v2/outbound/campaigns/${id}/progress`)).body;

  beforeAll(async () => {
    sim = await startSimulator({ demoCampaigns: false, analyticsLagMs: 0 });
    token = await getToken(sim);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await sim.close();
  });

  describe('recalls (point 1)', () => {
    it('dials unanswered contacts again, so there are more dials than contacts called', async () => {
      await ctl(sim, 'POST', '/campaigns', { id: 'recall', contactCount: 200 });
      const run = await ctl<RunResult>(sim, 'POST', '/campaigns/recall/complete', {
        endAt: iso(T0),
        durationSeconds: 1800,
        connectRate: 0.3,
        recallRate: 1,
        maxAttemptsPerContact: 3,
      });
      expect(run.status).toBe(200);
      const { expected } = run.body;
      expect(expected.contactsCalled).toBe(200);
      expect(expected.attempted).toBeGreaterThan(300);
      expect(expected.attempted).toBeLessThanOrEqual(600);
      expect((await progress('recall')).numberOfContactsCalled).toBe(200);

      const res = await query({
        interval: `${iso(T0 - 120 * MIN)}/${iso(T0 + 60 * MIN)}`,
        filter: filter('recall'),
        metrics: ['nOutboundAttempted', 'nOutboundConnected'],
      });
      expect(count(res.body, 'nOutboundAttempted')).toBe(expected.attempted);
      expect(count(res.body, 'nOutboundConnected')).toBe(expected.connected);

      // Per contact: at most 3 dials, each after the previous one ended, only unanswered ones redialled.
      const byContact = new Map<string, SimConversation[]>();
      for (const c of sim.state.conversations.get('recall') ?? [])
        byContact.set(c.contactId, [...(byContact.get(c.contactId) ?? []), c]);
      expect(byContact.size).toBe(200);
      let recalled = 0;
      for (const dials of byContact.values()) {
        expect(dials.length).toBeLessThanOrEqual(3);
        dials.forEach((d, i) => {
          expect(d.attempt).toBe(i + 1);
          if (i === 0) return;
          recalled++;
          const prev = dials[i - 1] as SimConversation;
          expect(prev.connected).toBe(false);
          expect(d.startMs).toBeGreaterThan(prev.endMs);
          expect(d.startMs).toBeLessThanOrEqual(T0);
        });
      }
      expect(recalled).toBe(expected.attempted - 200);
    });

    it('dials each contact once with maxAttemptsPerContact 1', async () => {
      await sim.createCampaign({ id: 'once', contactCount: 120 });
      const run = await sim.runToCompletion('once', {
        endAt: T0,
        maxAttemptsPerContact: 1,
        recallRate: 1,
      });
      expect(run.expected.attempted).toBe(120);
      expect(run.expected.contactsCalled).toBe(120);
    });

    it('rejects bad recall options', async () => {
      await sim.createCampaign({ id: 'bad-recall', contactCount: 5 });
      for (const body of [{ maxAttemptsPerContact: 0 }, { recallRate: 1.5 }]) {
        const res = await ctl(sim, 'POST', '/campaigns/bad-recall/complete', body);
        expect(res.status).toBe(400);
      }
    });
  });

  describe('after-call work past the finish (point 3)', () => {
    it('finishes at the last dial; the last tHandle comes later and shows up within seconds', async () => {
      await sim.setFaults({ analyticsLagMs: 300 });
      try {
        await sim.createCampaign({ id: 'acw', contactCount: 30 });
        const run = await sim.runToCompletion('acw', {
          durationSeconds: 2,
          avgHandleMs: 1500,
          connectRate: 1,
        });
        const finish = Date.parse(run.campaign.dateModified);
        expect(run.campaign.campaignStatus).toBe('complete');
        expect(run.expected.lastDial).toBe(run.campaign.dateModified);
        const lastEnd = Date.parse(run.expected.lastEnd as string);
        expect(lastEnd).toBeGreaterThan(finish);
        expect(lastEnd - finish).toBeLessThan(10_000);
        const [latest] = (await copies('acw')).slice(-1);
        expect(latest).toMatchObject({ reason: 'complete', at: run.campaign.dateModified });

        const body = {
          interval: `${iso(finish - 60 * MIN)}/${iso(finish + 60 * MIN)}`,
          filter: filter('acw'),
          metrics: ['nOutboundAttempted', 'tHandle', 'tAcw'],
        };
        const early = await query(body);
        expect(count(early.body, 'tHandle') ?? 0).toBeLessThan(run.expected.handled);
        await sleep(Date.parse(run.expected.visibleAt as string) - Date.now() + 50);
        const later = await query(body);
        expect(count(later.body, 'nOutboundAttempted')).toBe(run.expected.attempted);
        expect(count(later.body, 'tHandle')).toBe(run.expected.handled);
        expect(count(later.body, 'tAcw')).toBe(run.expected.acw.count);
      } finally {
        await sim.setFaults({ analyticsLagMs: 0 });
      }
    });
  });

  describe('stop and resume (point 4)', () => {
    const T1 = T0 + 60 * MIN;
    const T2 = T1 + 30 * MIN;
    const T3 = T2 + 20 * MIN;

    it('stops on -> stopping -> off, each change published with version + 1 and dateModified', async () => {
      await sim.createCampaign({ id: 'pause', contactCount: 100 });
      const stopped = await ctl<RunResult>(sim, 'POST', '/campaigns/pause/stop', {
        fraction: 0.3,
        endAt: iso(T1),
        durationSeconds: 600,
        stoppingMs: 1500,
      });
      expect(stopped.body.campaign).toMatchObject({ campaignStatus: 'off', version: 3 });
      expect(stopped.body.campaign.dateModified).toBe(iso(T1 + 1500));
      const list = await copies('pause');
      expect(list.map((c) => [c.reason, c.campaignStatus, c.version])).toEqual([
        ['create', 'on', 1],
        ['stopping', 'stopping', 2],
        ['stop', 'off', 3],
      ]);
      expect(list[1]?.at).toBe(iso(T1));
      expect(list[1]?.body).toMatchObject({
        campaignStatus: 'stopping',
        version: 2,
        dateModified: iso(T1),
      });
      expect((await progress('pause')).numberOfContactsCalled).toBe(30);
      const got = await api(sim, token, '/api/v2/outbound/campaigns/pause');
      expect(got.body).toMatchObject({ campaignStatus: 'off', version: 3 });
    });

    it('resumes where it was: progress carries over, called contacts are not called again', async () => {
      const started = await ctl<{ campaign: { campaignStatus: string; version: number } }>(
        sim,
        'POST',
        '/campaigns/pause/start',
        { at: iso(T2) },
      );
      expect(started.body.campaign).toMatchObject({ campaignStatus: 'on', version: 4 });
      expect((await progress('pause')).numberOfContactsCalled).toBe(30);
      const [on] = (await copies('pause')).slice(-1);
      expect(on).toMatchObject({ reason: 'start', campaignStatus: 'on', version: 4, at: iso(T2) });

      const done = await sim.runToCompletion('pause', { endAt: T3, durationSeconds: 600 });
      expect(done.campaign).toMatchObject({ campaignStatus: 'complete', version: 5 });
      expect((await progress('pause')).numberOfContactsCalled).toBe(100);

      const first = await sim.expected('pause', { to: T1 + 1 });
      const second = await sim.expected('pause', { from: iso(T2) });
      expect(first.contactsCalled).toBe(30);
      expect(second.contactsCalled).toBe(70);
      expect(first.attempted + second.attempted).toBe(done.expected.attempted);
      const all = sim.state.conversations.get('pause') ?? [];
      const contactsOf = (from: number, to: number) =>
        new Set(all.filter((c) => c.startMs >= from && c.startMs < to).map((c) => c.contactId));
      const a = contactsOf(0, T1 + 1);
      const b = contactsOf(T2, Infinity);
      expect([...a].filter((id) => b.has(id))).toEqual([]);
      expect(a.size + b.size).toBe(100);

      // Over HTTP too, and the aggregates of the second segment's dial window match its truth.
      const http = await ctl<ExpectedTotals>(sim, 'GET', `/campaigns/pause/expected?from=${T2}`);
      expect(http.body).toMatchObject({
        contactsCalled: 70,
        attempted: second.attempted,
        from: iso(T2),
      });
      const res = await query({
        interval: `${iso(T2)}/${iso(T3 + 1)}`,
        filter: filter('pause'),
        metrics: ['nOutboundAttempted'],
      });
      expect(count(res.body, 'nOutboundAttempted')).toBe(second.attempted);
      // Per-segment truth has every sum the report needs.
      expect(second.talk.count).toBe(second.handled);
      expect(second.acw.count).toBe(second.handled);
      expect(second.talk.sumMs + second.hold.sumMs + second.acw.sumMs).toBe(second.handleSumMs);
      expect(Object.values(second.wrapUpCodes).reduce((x, y) => x + y, 0)).toBe(second.handled);
    });

    it('restarts a complete campaign from the first record (progress resets)', async () => {
      await sim.startCampaign('pause', { at: T3 + 10 * MIN });
      const p = await progress('pause');
      expect(p).toMatchObject({ numberOfContactsCalled: 0, percentage: 0 });
      const again = await sim.runToCompletion('pause', {
        endAt: T3 + 40 * MIN,
        durationSeconds: 600,
      });
      expect(again.campaign.campaignStatus).toBe('complete');
      const cycle2 = await sim.expected('pause', { from: T3 + 10 * MIN });
      expect(cycle2.contactsCalled).toBe(100);
      const all = sim.state.conversations.get('pause') ?? [];
      const ids = (cycle: number) =>
        new Set(all.filter((c) => c.cycle === cycle).map((c) => c.contactId));
      expect(ids(2)).toEqual(ids(1));
    });

    it('can stay stopping, then stop; forced stops go through forced_stopping', async () => {
      await sim.createCampaign({ id: 'slow-stop', contactCount: 20 });
      const first = await sim.stopCampaign('slow-stop', { endAt: T0, stayStopping: true });
      expect(first.campaign.campaignStatus).toBe('stopping');
      const get = await api(sim, token, '/api/v2/outbound/campaigns/slow-stop');
      expect(get.body.campaignStatus).toBe('stopping');
      const refused = await ctl(sim, 'POST', '/campaigns/slow-stop/start', {});
      expect(refused.status).toBe(409);
      const second = await sim.stopCampaign('slow-stop', { endAt: T0 + 5000 });
      expect(second.campaign).toMatchObject({ campaignStatus: 'off', version: 3 });
      expect(second.expected.contactsCalled).toBe(first.expected.contactsCalled); // no new dials

      await sim.createCampaign({ id: 'forced', contactCount: 20 });
      await sim.stopCampaign('forced', { endAt: T0, forced: true });
      expect((await copies('forced')).map((c) => c.campaignStatus)).toEqual([
        'on',
        'forced_stopping',
        'forced_off',
      ]);
    });
  });

  describe('edits and optional fields (points 5 and 7)', () => {
    it('an edit bumps version and dateModified, keeps the status and publishes the copy again', async () => {
      await sim.createCampaign({ id: 'edited', name: 'Before', contactCount: 10 });
      const done = await sim.runToCompletion('edited', { endAt: T0 });
      const edit = await ctl<{
        campaign: { version: number; dateModified: string; campaignStatus: string; name: string };
      }>(sim, 'POST', '/campaigns/edited/edit', { name: 'After', at: iso(T0 + 5 * MIN) });
      expect(edit.status).toBe(200);
      expect(edit.body.campaign).toMatchObject({
        name: 'After',
        campaignStatus: 'complete',
        version: done.campaign.version + 1,
        dateModified: iso(T0 + 5 * MIN),
      });
      const [latest] = (await copies('edited')).slice(-1);
      expect(latest).toMatchObject({
        reason: 'edit',
        campaignStatus: 'complete',
        version: done.campaign.version + 1,
      });
      expect(latest?.body).toMatchObject({ name: 'After', campaignStatus: 'complete' });
      const sent = await ctl<DeliverCopyResult>(sim, 'POST', '/campaigns/edited/deliver', {
        url: receiver.url,
        shape: 'notification',
      });
      expect(sent.status).toBe(200);
      const body = JSON.parse(receiver.received.at(-1)?.body ?? '{}') as {
        eventBody: Record<string, unknown>;
      };
      expect(body.eventBody).toMatchObject({
        campaignStatus: 'complete',
        name: 'After',
        version: done.campaign.version + 1,
        dateModified: iso(T0 + 5 * MIN),
      });
      expect((await ctl(sim, 'POST', '/campaigns/edited/edit', { name: '' })).status).toBe(400);
    });

    it('leaves out numberOfContactsCalled, dateModified and version when told to', async () => {
      await sim.createCampaign({ id: 'sparse', contactCount: 10 });
      await sim.runToCompletion('sparse', { endAt: T0 });
      const set = await ctl(sim, 'POST', '/faults', { omitOptionalFields: 1, omitVersion: true });
      expect(set.body).toMatchObject({ omitOptionalFields: 1, omitVersion: true });
      try {
        const p = await progress('sparse');
        expect(p).not.toHaveProperty('numberOfContactsCalled');
        expect(p).toHaveProperty('totalNumberOfContacts', 10);
        await sim.editCampaign('sparse', { name: 'Sparse' });
        const [latest] = (await copies('sparse')).slice(-1);
        expect(latest?.body).not.toHaveProperty('dateModified');
        expect(latest?.body).not.toHaveProperty('version');
        expect(latest?.body).toMatchObject({ campaignStatus: 'complete', name: 'Sparse' });
        // The API's own GET keeps both.
        const got = await api(sim, token, '/api/v2/outbound/campaigns/sparse');
        expect(got.body).toHaveProperty('dateModified');
        expect(got.body).toHaveProperty('version');
      } finally {
        await sim.setFaults({ omitOptionalFields: 0, omitVersion: false });
      }
      expect(await progress('sparse')).toHaveProperty('numberOfContactsCalled', 10);
      await sim.editCampaign('sparse', { name: 'Full' });
      const [full] = (await copies('sparse')).slice(-1);
      expect(full?.body).toHaveProperty('dateModified');
      expect(full?.body).toHaveProperty('version');
      for (const bad of [
        { omitOptionalFields: 2 },
        { omitVersion: 'yes' },
        { analyticsLagJitterMs: -1 },
      ])
        expect((await ctl(sim, 'POST', '/faults', bad)).status).toBe(400);
    });
  });

  describe('delivering copies (point 8)', () => {
    it('delivers the latest copy as EventBridge with the real version, dateModified and timestamps', async () => {
      await sim.createCampaign({ id: 'eb', contactCount: 10 });
      const done = await sim.runToCompletion('eb', { endAt: '2025-05-01T10:00:00.250Z' });
      const res = await ctl<DeliverCopyResult>(sim, 'POST', '/campaigns/eb/deliver', {
        url: receiver.url,
        shape: 'eventbridge',
        eventId: 'ev-eb-1',
      });
      expect(res.status).toBe(200);
      expect(res.body.copy).toEqual({
        reason: 'complete',
        version: done.campaign.version,
        campaignStatus: 'complete',
        at: '2025-05-01T10:00:00.250Z',
      });
      // The same change, for callers that build or send events themselves.
      const event = await sim.copyEvent('eb');
      expect(event).toMatchObject({
        id: 'eb',
        status: 'complete',
        occurredAt: '2025-05-01T10:00:00.250Z',
        contactCount: 10,
        copy: { version: done.campaign.version, campaignStatus: 'complete' },
      });
      expect(event.durationSeconds).toBeGreaterThan(0);
      const sent = JSON.parse(receiver.received.at(-1)?.body ?? '{}') as Record<string, unknown>;
      expect(sent).toMatchObject({
        id: 'ev-eb-1',
        'detail-type': 'v2.outbound.campaigns.{id}',
        time: '2025-05-01T10:00:00Z',
        detail: {
          topicName: 'v2.outbound.campaigns.eb',
          timestamp: '2025-05-01T10:00:00.250Z',
          eventBody: {
            id: 'eb',
            campaignStatus: 'complete',
            version: done.campaign.version,
            dateModified: '2025-05-01T10:00:00.250Z',
          },
        },
      });
    });

    it('delivers an `on` or `stopping` copy by version, but not in the guide shape', async () => {
      await sim.createCampaign({ id: 'steps', contactCount: 10 });
      await sim.stopCampaign('steps', { endAt: T0 });
      await sim.startCampaign('steps', { at: T0 + MIN });
      const on = await ctl<DeliverCopyResult>(sim, 'POST', '/campaigns/steps/deliver', {
        url: receiver.url,
        shape: 'notification',
      });
      expect(on.body.copy).toMatchObject({ campaignStatus: 'on', version: 4 });
      expect(JSON.parse(receiver.received.at(-1)?.body ?? '{}')).toMatchObject({
        topicName: 'v2.outbound.campaigns.steps',
        eventBody: { campaignStatus: 'on', version: 4 },
      });
      const stopping = await ctl<DeliverCopyResult>(sim, 'POST', '/campaigns/steps/deliver', {
        url: receiver.url,
        shape: 'eventbridge',
        version: 2,
      });
      expect(stopping.body.copy).toMatchObject({ campaignStatus: 'stopping', version: 2 });

      const guideOn = await ctl(sim, 'POST', '/campaigns/steps/deliver', {
        url: receiver.url,
        shape: 'guide',
      });
      expect(guideOn.status).toBe(409);
      const guideOff = await ctl<DeliverCopyResult>(sim, 'POST', '/campaigns/steps/deliver', {
        url: receiver.url,
        shape: 'guide',
        version: 3,
      });
      expect(guideOff.status).toBe(200);
      expect(guideOff.body.body).toMatchObject({
        eventType: 'outbound.campaign.stopped',
        timestamp: iso(T0 + 1000),
        data: { campaignId: 'steps', status: 'stopped' },
      });
      expect(
        (await ctl(sim, 'POST', '/campaigns/steps/deliver', { url: receiver.url, shape: 'x' }))
          .status,
      ).toBe(400);
      expect(
        (
          await ctl(sim, 'POST', '/campaigns/steps/deliver', {
            url: receiver.url,
            shape: 'guide',
            version: 99,
          })
        ).status,
      ).toBe(404);
    });
  });
});
