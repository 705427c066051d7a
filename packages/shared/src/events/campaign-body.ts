import type { CampaignFinished } from './types';
import * as v from 'valibot';
import { CampaignIdSchema, optionalString, requiredString, timeValue } from './common';

/**
 * `eventBody` of the `v2.outbound.campaigns.{id}` topic: a copy of the campaign as the API
 * returns it. Only what wrapup uses is kept; every other field (dialingMode, contactList, ...)
 * is allowed and dropped.
 */
export const CampaignBodySchema = v.object(
  {
    id: CampaignIdSchema,
    name: optionalString(),
    /** `on`, `stopping`, `off`, `complete`, `invalid`, `forced_off`, `forced_stopping`. */
    campaignStatus: requiredString('a campaign status string such as "complete" or "off"'),
    dateModified: v.nullish(timeValue()),
  },
  'must be an object (the campaign)',
);
export type CampaignBody = v.InferOutput<typeof CampaignBodySchema>;

export const CAMPAIGN_TOPIC_PREFIX = 'v2.outbound.campaigns.';

/** The campaign id in `v2.outbound.campaigns.<id>`, or undefined for any other topic. */
export const campaignIdFromTopic = (topicName: string): string | undefined =>
  topicName.startsWith(CAMPAIGN_TOPIC_PREFIX) && topicName.length > CAMPAIGN_TOPIC_PREFIX.length
    ? topicName.slice(CAMPAIGN_TOPIC_PREFIX.length)
    : undefined;

/** Genesys `campaignStatus` -> wrapup status: complete -> completed, off/forced_off -> stopped. */
export function mapCampaignStatus(campaignStatus: string): string {
  const s = campaignStatus.trim().toLowerCase();
  if (s === 'complete') return 'completed';
  if (s === 'off' || s === 'forced_off') return 'stopped';
  return s;
}

/** The internal event for a Genesys campaign copy (EventBridge `detail.eventBody`, Notification `eventBody`). */
export function finishedFromCampaignBody(
  body: { id: string; campaignStatus: string; name?: string | null | undefined },
  occurredAt: string,
  shape: 'eventbridge' | 'notification',
  senderEventId: string | undefined,
): CampaignFinished {
  return {
    campaignId: body.id,
    status: mapCampaignStatus(body.campaignStatus),
    occurredAt,
    durationSeconds: undefined,
    contactCount: undefined,
    senderEventId,
    shape,
    campaignName: body.name ?? undefined,
  };
}
