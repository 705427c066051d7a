import type { CampaignStatus } from './model/types';
import { createRandom, hashString } from './random';

/** The payload shapes the ingest accepts: the guide event, EventBridge, Notification API (README). */
export type SenderShape = 'guide' | 'eventbridge' | 'notification';

/**
 * A campaign change to publish: usually a finish (`complete`, `off`, `forced_off`), but any status
 * works for the EventBridge and Notification shapes (the guide's shape has only completed and
 * stopped, so it refuses the others).
 */
export interface FinishedCampaign {
  id: string;
  name?: string;
  status: CampaignStatus;
  /** ISO-8601 UTC instant of the change (Genesys's timestamp; EventBridge `detail.timestamp`). */
  occurredAt: string;
  durationSeconds?: number;
  contactCount?: number;
  /**
   * The campaign copy as the simulator published it (`version`, `dateModified`, `campaignStatus`
   * of the real campaign, optional fields possibly left out); sent as the eventBody as is.
   */
  copy?: Record<string, unknown>;
  /** `version` of the stand-in copy built when `copy` is absent (default 3). */
  version?: number;
}

/** Statuses the guide's `outbound.campaign.<status>` shape can say. */
export const GUIDE_STATUSES: readonly CampaignStatus[] = ['complete', 'off', 'forced_off'];

export interface BuildEventOptions {
  /** EventBridge `id`, Notification `metadata.CorrelationId`. */
  eventId: string;
  /** Genesys org id in the EventBridge `source` (default: a fixed demo org). */
  orgId?: string;
}

const DEMO_ORG_ID = '8a1f2c3d-4e5f-4a6b-9c7d-0e1f2a3b4c5d';

/** The campaign copy Genesys publishes on `v2.outbound.campaigns.{id}`. */
function campaignEventBody(c: FinishedCampaign): Record<string, unknown> {
  if (c.copy) return c.copy;
  const rng = createRandom(hashString(`contactlist:${c.id}`));
  const name = c.name ?? `Campaign ${c.id.slice(0, 8)}`;
  return {
    id: c.id,
    name,
    version: c.version ?? 3,
    dateModified: c.occurredAt,
    campaignStatus: c.status,
    dialingMode: 'predictive',
    contactList: { id: rng.uuid(), name: `${name} contacts` },
    alwaysRunning: false,
    selfUri: `/api/v2/outbound/campaigns/${c.id}`,
  };
}

/**
 * Builds the body a sender would POST for a campaign change, in the given shape. EventBridge: the
 * envelope `time` (whole seconds, as EventBridge writes it) and `detail.timestamp` (Genesys's ISO
 * time of the change) as in genesys-cloud-facts.md. Throws for the guide shape with a status it
 * cannot say.
 */
export function buildFinishEvent(
  c: FinishedCampaign,
  shape: SenderShape,
  opts: BuildEventOptions,
): Record<string, unknown> {
  const topicName = `v2.outbound.campaigns.${c.id}`;
  const metadata = { CorrelationId: opts.eventId };
  switch (shape) {
    case 'guide': {
      if (!GUIDE_STATUSES.includes(c.status))
        throw new Error(
          `the guide shape has no event for campaignStatus ${c.status} (only complete, off, forced_off)`,
        );
      const status = c.status === 'complete' ? 'completed' : 'stopped';
      return {
        eventType: `outbound.campaign.${status}`,
        timestamp: c.occurredAt,
        data: {
          campaignId: c.id,
          status,
          ...(c.durationSeconds !== undefined ? { durationSeconds: c.durationSeconds } : {}),
          ...(c.contactCount !== undefined ? { contactCount: c.contactCount } : {}),
        },
      };
    }
    case 'notification':
      return { topicName, version: '2', eventBody: campaignEventBody(c), metadata };
    case 'eventbridge': {
      const orgId = opts.orgId ?? DEMO_ORG_ID;
      return {
        version: '0',
        id: opts.eventId,
        'detail-type': 'v2.outbound.campaigns.{id}',
        source: `aws.partner/genesys.com/cloud/${orgId}/wrapup-campaigns`,
        account: '123456789012',
        time: c.occurredAt.replace(/\.\d{3}Z$/, 'Z'),
        region: 'us-east-1',
        resources: [],
        detail: {
          topicName,
          version: '2',
          eventBody: campaignEventBody(c),
          metadata,
          timestamp: c.occurredAt,
        },
      };
    }
  }
}
