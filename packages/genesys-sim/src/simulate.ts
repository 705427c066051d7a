import { randomUUID } from 'node:crypto';
import type { CampaignView, RunResult } from './control';
import type { ExpectedTotals } from './model/types';
import { deliverFinish, type DeliveryResult, type SenderAuth, type SenderShape } from './sender';

export interface SimulationOptions {
  /** Base URL of a running simulator (its `/__sim` control API is used). */
  simUrl: string;
  webhookUrl: string;
  /** Campaigns to create and finish (default 3); with 2 or more, the last one is stopped. */
  count?: number;
  /** One shape for every event, or `mixed` to rotate through all three (default). */
  shape?: SenderShape | 'mixed';
  /** Extra deliveries of every other event (default 1). */
  duplicates?: number;
  auth?: SenderAuth;
  /** Also send an event for a campaign the simulator does not know (default true). */
  includeUnknown?: boolean;
  /** Contacts per campaign (default 200). */
  contactCount?: number;
  /** How long each campaign dialled, in seconds (default 600). */
  durationSeconds?: number;
  retryDelayMs?: number;
  /** Progress lines (default: nothing). */
  log?: (line: string) => void;
}

export interface SimulatedEvent {
  campaignId: string;
  kind: 'completed' | 'stopped' | 'unknown';
  shape: SenderShape;
  /** The simulator's true totals (undefined for the unknown campaign). */
  expected: ExpectedTotals | undefined;
  delivery: DeliveryResult;
}

export interface SimulationResult {
  events: SimulatedEvent[];
}

const SHAPES: SenderShape[] = ['guide', 'eventbridge', 'notification'];

async function control<T>(simUrl: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(new URL(`/__sim${path}`, simUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`simulator ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

function describe(result: DeliveryResult): string {
  return result.finals
    .map((a) => {
      if (a.status === null) return `network error (${a.error ?? 'unknown'})`;
      const status = (a.body as { status?: unknown } | null)?.status;
      return `${a.status}${typeof status === 'string' ? ` ${status}` : ''}${a.attempt > 0 ? ` after ${a.attempt} retries` : ''}`;
    })
    .join(', ');
}

/**
 * Creates campaigns in a running simulator, finishes them (the last one stopped early when there
 * are two or more), and delivers their events to the webhook, some duplicated, plus one event for
 * an unknown campaign.
 */
export async function runSimulation(opts: SimulationOptions): Promise<SimulationResult> {
  const count = opts.count ?? 3;
  const log = opts.log ?? (() => undefined);
  const shapeAt = (i: number): SenderShape =>
    opts.shape === undefined || opts.shape === 'mixed'
      ? (SHAPES[i % SHAPES.length] as SenderShape)
      : opts.shape;
  const events: SimulatedEvent[] = [];

  const plans: {
    kind: SimulatedEvent['kind'];
    campaign: CampaignView | undefined;
    expected?: ExpectedTotals;
  }[] = [];
  for (let i = 0; i < count; i++) {
    const campaign = await control<CampaignView>(opts.simUrl, '/campaigns', {
      name: `Simulated campaign ${i + 1}`,
      contactCount: opts.contactCount ?? 200,
    });
    const stop = count >= 2 && i === count - 1;
    const run = await control<RunResult>(
      opts.simUrl,
      `/campaigns/${encodeURIComponent(campaign.id)}/${stop ? 'stop' : 'complete'}`,
      {
        durationSeconds: opts.durationSeconds ?? 600,
      },
    );
    plans.push({
      kind: stop ? 'stopped' : 'completed',
      campaign: run.campaign,
      expected: run.expected,
    });
  }
  if (opts.includeUnknown ?? true) plans.push({ kind: 'unknown', campaign: undefined });

  for (const [i, plan] of plans.entries()) {
    const shape = shapeAt(i);
    const campaignId = plan.campaign?.id ?? `unknown-${randomUUID()}`;
    const delivery = await deliverFinish({
      webhookUrl: opts.webhookUrl,
      shape,
      ...(opts.auth ? { auth: opts.auth } : {}),
      duplicates: i % 2 === 0 ? (opts.duplicates ?? 1) : 0,
      ...(opts.retryDelayMs !== undefined ? { retryDelayMs: opts.retryDelayMs } : {}),
      campaign: {
        id: campaignId,
        ...(plan.campaign ? { name: plan.campaign.name } : {}),
        status: plan.kind === 'stopped' ? 'off' : 'complete',
        occurredAt: plan.campaign?.dateModified ?? new Date().toISOString(),
        durationSeconds: opts.durationSeconds ?? 600,
        ...(plan.expected ? { contactCount: plan.expected.contactCount } : {}),
      },
    });
    log(`${plan.kind.padEnd(9)} ${campaignId} as ${shape}: ${describe(delivery)}`);
    events.push({ campaignId, kind: plan.kind, shape, expected: plan.expected, delivery });
  }
  return { events };
}
