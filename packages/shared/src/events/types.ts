/** Which accepted payload shape an event came in. */
export type EventShape = 'guide' | 'eventbridge' | 'notification';

/**
 * What a campaign event means to wrapup, whatever shape it came in.
 * `status` is `completed` (Genesys `complete`), `stopped` (`off`, `forced_off`), or the raw
 * lower-case Genesys/guide status for anything that starts no report (`on`, `stopping`, ...).
 */
export interface CampaignFinished {
  campaignId: string;
  status: string;
  /** When it happened, ISO-8601 UTC with milliseconds (`2023-10-27T14:30:00.000Z`). */
  occurredAt: string;
  durationSeconds: number | undefined;
  contactCount: number | undefined;
  /** The sender's own event id (EventBridge `id`); the webhook-id header is handled by ingest. */
  senderEventId: string | undefined;
  shape: EventShape;
  /** Campaign name when the payload carries one (EventBridge / Notification API eventBody.name). */
  campaignName: string | undefined;
}

/** 1 to 128 letters, digits, `-`, `_`, `.`, `:`. */
export const CAMPAIGN_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
