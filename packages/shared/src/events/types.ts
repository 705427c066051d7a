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
  /**
   * When it happened, ISO-8601 UTC with milliseconds (`2023-10-27T14:30:00.000Z`). For a
   * Notification API message, the later of sentAt and receivedAt (whichever exists).
   */
  occurredAt: string;
  durationSeconds: number | undefined;
  contactCount: number | undefined;
  /**
   * The sender's own id: EventBridge `id` (unique per event), or the Notification API
   * `metadata.CorrelationId` (a request correlation id, not unique per message: ingest combines
   * it with the campaign, status and version). The webhook-id header is handled by ingest.
   */
  senderEventId: string | undefined;
  shape: EventShape;
  /** Campaign name when the payload carries one (EventBridge / Notification API eventBody.name). */
  campaignName: string | undefined;
  /** The campaign copy's `version` (EventBridge / Notification API eventBody.version), when given. */
  campaignVersion?: number;
  /**
   * Notification API: the message's own time (eventBody.dateModified, else metadata.timestamp,
   * else a top-level timestamp), ISO UTC, when it has one.
   */
  sentAt?: string;
  /** Notification API: when the ingest received the body (ParseOptions.receivedAt), ISO UTC. */
  receivedAt?: string;
}

/**
 * 1 to 128 letters, digits, `-`, `_`, `.`, `:`, starting with a letter or digit: `.` and `..`
 * (and `.x`, `-x`) would be path segments of their own in INVENTORY_URL and Genesys API paths.
 */
export const CAMPAIGN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
