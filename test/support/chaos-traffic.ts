/**
 * The chaos run's traffic: campaigns finish in the simulator just before their event is sent; a
 * share of events is sent again later (same body, same id), a share in the EventBridge shape.
 */
import { randomUUID } from 'node:crypto';
import { buildFinishEvent, type FinishedCampaign, type Simulator } from '@wrapup/genesys-sim';
import { paced, sendUntilAnswered, type SendResult } from './webhook-sender';

export interface PlannedCampaign {
  index: number;
  id: string;
  shape: 'guide' | 'eventbridge';
  stopped: boolean;
  contactCount: number;
  eventId: string;
}

export interface PlannedSend {
  campaign: PlannedCampaign;
  duplicate: boolean;
  /** ms after the traffic starts. */
  offsetMs: number;
}

export interface SentEvent {
  campaignId: string;
  eventId: string;
  shape: PlannedCampaign['shape'];
  duplicate: boolean;
  result: SendResult;
}

export interface TrafficPlan {
  campaigns: PlannedCampaign[];
  sends: PlannedSend[];
}

/** A small deterministic generator, so every run sends the same mix. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

export function planTraffic(opts: {
  events: number;
  duplicateShare: number;
  eventBridgeShare: number;
  stoppedShare: number;
  /** Spread of the originals, ms. */
  spanMs: number;
  /** A duplicate follows its original by up to this many ms. */
  maxDuplicateLagMs: number;
  seed?: number;
}): TrafficPlan {
  const random = lcg(opts.seed ?? 7);
  const duplicates = Math.round(opts.events * opts.duplicateShare);
  const count = opts.events - duplicates;
  const campaigns: PlannedCampaign[] = Array.from({ length: count }, (_, index) => ({
    index,
    id: `chaos-${index.toString().padStart(4, '0')}-${randomUUID().slice(0, 8)}`,
    shape: random() < opts.eventBridgeShare ? 'eventbridge' : 'guide',
    stopped: random() < opts.stoppedShare,
    contactCount: 2 + Math.floor(random() * 25),
    eventId: randomUUID(),
  }));
  const spacing = opts.spanMs / count;
  const sends: PlannedSend[] = campaigns.map((campaign) => ({
    campaign,
    duplicate: false,
    offsetMs: Math.round(campaign.index * spacing),
  }));
  // Duplicates of distinct campaigns first, then (if more are asked than campaigns) repeats.
  const order = campaigns.map((c) => c).sort(() => random() - 0.5);
  for (let d = 0; d < duplicates; d++) {
    const campaign = order[d % order.length] as PlannedCampaign;
    sends.push({
      campaign,
      duplicate: true,
      offsetMs: Math.round(campaign.index * spacing + 100 + random() * opts.maxDuplicateLagMs),
    });
  }
  sends.sort((a, b) => a.offsetMs - b.offsetMs);
  return { campaigns, sends };
}

/** Finishes a planned campaign in the simulator (once, however many sends ask). */
function campaignFinisher(sim: Simulator) {
  const finished = new Map<string, Promise<FinishedCampaign>>();
  return (c: PlannedCampaign) => {
    let done = finished.get(c.id);
    if (!done) {
      done = (async () => {
        await sim.createCampaign({ id: c.id, contactCount: c.contactCount, agents: 2 });
        // finished a while ago: every call's after-call work is over and visible
        const endAt = Date.now() - 15 * 60_000;
        const run = c.stopped
          ? await sim.stopCampaign(c.id, { fraction: 0.5, durationSeconds: 600, endAt })
          : await sim.runToCompletion(c.id, { durationSeconds: 600, endAt });
        const status = c.stopped ? 'off' : 'complete';
        return {
          id: c.id,
          status,
          occurredAt: run.campaign.dateModified,
        } satisfies FinishedCampaign;
      })();
      finished.set(c.id, done);
    }
    return done;
  };
}

/** Sends every planned event on schedule with at most `concurrency` in flight; resolves when all have a final answer. */
export async function runTraffic(opts: {
  sim: Simulator;
  webhookUrl: string;
  apiKey: string;
  plan: TrafficPlan;
  concurrency: number;
}): Promise<SentEvent[]> {
  const finish = campaignFinisher(opts.sim);
  const start = Date.now();
  return paced(
    opts.plan.sends,
    opts.concurrency,
    (s) => start + s.offsetMs,
    async ({ campaign, duplicate }) => {
      const finished = await finish(campaign);
      const body = JSON.stringify(
        buildFinishEvent(finished, campaign.shape, { eventId: campaign.eventId }),
      );
      const headers: Record<string, string> = { 'x-api-key': opts.apiKey };
      // A relay in front of Genesys sends its delivery id; EventBridge's id is in the body.
      if (campaign.shape === 'guide') headers['webhook-id'] = campaign.eventId;
      const result = await sendUntilAnswered({ url: opts.webhookUrl, body, headers });
      return {
        campaignId: campaign.id,
        eventId: campaign.eventId,
        shape: campaign.shape,
        duplicate,
        result,
      };
    },
  );
}
