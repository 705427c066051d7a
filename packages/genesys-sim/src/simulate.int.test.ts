import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './server';
import { runSimulation } from './simulate';
import { startReceiver, type Receiver } from './testing/receiver';

const SECRET = `whsec_${Buffer.from('simulate-secret-simulate-secret!').toString('base64')}`;

describe('runSimulation', () => {
  let sim: Simulator;
  let receiver: Receiver;
  const seen = new Set<string>();
  beforeAll(async () => {
    sim = await startSimulator({ demoCampaigns: false });
    // Answers like the ingest: 202 the first time an event id is seen, 200 duplicate after.
    receiver = await startReceiver({
      answer: (r) => {
        const id = String(r.headers['webhook-id']);
        const status = seen.has(id) ? 'duplicate' : 'accepted';
        seen.add(id);
        return { status: status === 'accepted' ? 202 : 200, body: { status, eventId: id } };
      },
    });
  });
  afterAll(async () => {
    await receiver.close();
    await sim.close();
  });

  it('finishes campaigns in the simulator and delivers their events, duplicates included', async () => {
    const lines: string[] = [];
    const result = await runSimulation({
      simUrl: sim.url,
      webhookUrl: receiver.url,
      count: 3,
      contactCount: 20,
      auth: { secret: SECRET },
      log: (l) => lines.push(l),
    });
    expect(result.events.map((e) => [e.kind, e.shape])).toEqual([
      ['completed', 'guide'],
      ['completed', 'eventbridge'],
      ['stopped', 'notification'],
      ['unknown', 'guide'],
    ]);
    const [first, , stopped, unknown] = result.events;
    expect(sim.state.campaigns.get(first?.campaignId ?? '')?.campaignStatus).toBe('complete');
    expect(sim.state.campaigns.get(stopped?.campaignId ?? '')?.campaignStatus).toBe('off');
    expect(sim.state.campaigns.has(unknown?.campaignId ?? '')).toBe(false);
    expect(first?.expected?.contactsCalled).toBe(20);
    // Events 0 and 2 are sent twice.
    expect(first?.delivery.finals.map((a) => a.status)).toEqual([202, 200]);
    expect(receiver.received).toHaveLength(6);
    for (const r of receiver.received)
      new Webhook(SECRET).verify(r.body, r.headers as Record<string, string>);
    // The EventBridge and Notification bodies carry the campaign's own published copy.
    const ebBody = result.events[1]?.delivery.body as {
      detail: { eventBody: Record<string, unknown> };
    };
    const second = sim.state.getCampaign(result.events[1]?.campaignId ?? '');
    expect(ebBody.detail.eventBody).toMatchObject({
      campaignStatus: 'complete',
      version: second.version,
      dateModified: new Date(second.dateModified).toISOString(),
    });
    const nBody = stopped?.delivery.body as { eventBody: Record<string, unknown> };
    expect(nBody.eventBody).toMatchObject({ campaignStatus: 'off', version: 3 });
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('202 accepted, 200 duplicate');
  });
});
