import { hashId, type CampaignFinished } from '@wrapup/shared';

const USABLE = /^[\x21-\x7e]{1,200}$/;

/**
 * The event's identity for deduplication: the `webhook-id` header (set per message by Standard
 * Webhooks relays), else the sender's own id, else a hash of (campaign, status, time).
 * - EventBridge: its envelope `id`, unique per event.
 * - Notification API: `metadata.CorrelationId` is a request correlation id, not unique per
 *   message, so it is hashed with the campaign, status and campaign version; without it the
 *   fallback hash also takes the version, and the message's own time rather than occurredAt
 *   (which may be when the ingest received it, different on every redelivery).
 * Ids that are not short printable ASCII are hashed so every Redis key stays small and readable.
 */
export function eventIdFor(event: CampaignFinished, webhookId: string | null | undefined): string {
  const header = webhookId?.trim();
  if (header) return usable(header);
  const sender = event.senderEventId?.trim();
  if (event.shape === 'notification') {
    const version = event.campaignVersion === undefined ? '' : String(event.campaignVersion);
    return sender
      ? `evt-${hashId(sender, event.campaignId, event.status, version)}`
      : `evt-${hashId(event.campaignId, event.status, version, event.sentAt ?? event.occurredAt)}`;
  }
  if (sender) return usable(sender);
  return `evt-${hashId(event.campaignId, event.status, event.occurredAt)}`;
}

const usable = (id: string) => (USABLE.test(id) ? id : `evt-${hashId('id', id)}`);
