import { hashId, type CampaignFinished } from '@wrapup/shared';

const USABLE = /^[\x21-\x7e]{1,200}$/;

/**
 * The event's identity for deduplication: the `webhook-id` header, else the sender's own id
 * (EventBridge `id`), else a hash of (campaign, status, UTC time). Ids that are not short
 * printable ASCII are hashed so every Redis key stays small and readable.
 */
export function eventIdFor(event: CampaignFinished, webhookId: string | null | undefined): string {
  for (const candidate of [webhookId?.trim(), event.senderEventId?.trim()]) {
    if (!candidate) continue;
    return USABLE.test(candidate) ? candidate : `evt-${hashId('id', candidate)}`;
  }
  return `evt-${hashId(event.campaignId, event.status, event.occurredAt)}`;
}
