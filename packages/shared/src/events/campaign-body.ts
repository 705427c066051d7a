import type { CampaignFinished } from './types';
import * as v from 'valibot';
import type { PayloadIssue } from './issues';
import {
  CampaignIdSchema,
  MetadataSchema,
  optionalString,
  requiredString,
  timeValue,
} from './common';

/**
 * `version` of a campaign copy: a number in the SDK, a numeric string read as one. It was never
 * checked before, so anything else is dropped rather than refused.
 */
export function toCampaignVersion(x: unknown): number | undefined {
  if (typeof x === 'number') return Number.isSafeInteger(x) && x >= 0 ? x : undefined;
  if (typeof x === 'string' && /^\s*\d{1,15}\s*$/.test(x)) return Number(x);
  return undefined;
}

/**
 * `eventBody` of the `v2.outbound.campaigns.{id}` topic: a copy of the campaign as the API
 * returns it. Only what wrapup uses is kept; every other field (dialingMode, contactList, ...)
 * is allowed and dropped. The SDK marks `campaignStatus`, `dateModified` and `version` optional.
 */
export const CampaignBodySchema = v.object(
  {
    id: CampaignIdSchema,
    name: optionalString(),
    /** `on`, `stopping`, `off`, `complete`, `invalid`, `forced_off`, `forced_stopping`; absent: ignored. */
    campaignStatus: v.nullish(
      requiredString('a campaign status string such as "complete" or "off"'),
    ),
    dateModified: v.nullish(timeValue()),
    version: v.optional(v.pipe(v.unknown(), v.transform(toCampaignVersion))),
  },
  'must be an object (the campaign)',
);
export type CampaignBody = v.InferOutput<typeof CampaignBodySchema>;

/** The `campaignStatus` values Genesys Cloud documents for an outbound campaign. */
export const CAMPAIGN_STATUSES = [
  'on',
  'stopping',
  'off',
  'complete',
  'invalid',
  'forced_off',
  'forced_stopping',
] as const;

/**
 * The fields of a campaign message as the Notification API sends it, which an EventBridge event
 * carries as its `detail`: `{topicName, version, eventBody: {<campaign>}, metadata, timestamp}`.
 * Notification API messages come without `timestamp` (relays that stamp them may add it).
 */
export const campaignMessageEntries = {
  topicName: requiredString('a string "v2.outbound.campaigns.<campaignId>"'),
  version: v.nullish(v.union([v.string(), v.number()], 'must be a string')),
  eventBody: CampaignBodySchema,
  metadata: MetadataSchema,
  timestamp: v.nullish(timeValue()),
};

export const CAMPAIGN_TOPIC_PREFIX = 'v2.outbound.campaigns.';

/** Why a campaign copy without `campaignStatus` is acknowledged and ignored. */
export const NO_CAMPAIGN_STATUS_REASON = 'campaign copy without campaignStatus';

/** The campaign id in `v2.outbound.campaigns.<id>`, or undefined for any other topic. */
export const campaignIdFromTopic = (topicName: string): string | undefined =>
  topicName.startsWith(CAMPAIGN_TOPIC_PREFIX) && topicName.length > CAMPAIGN_TOPIC_PREFIX.length
    ? topicName.slice(CAMPAIGN_TOPIC_PREFIX.length)
    : undefined;

/**
 * Why `topic` starts no report, or undefined when it is the campaign topic
 * `v2.outbound.campaigns.<id>` (or its EventBridge template `v2.outbound.campaigns.{id}`).
 * Progress (`v2.outbound.campaigns.<id>.progress`) and every other topic start nothing.
 * Genesys campaign ids are UUIDs, so a dotted remainder is a sub-topic unless it is exactly
 * the eventBody's id. Topics that are not non-empty strings are left to the schema.
 */
export function otherTopicReason(topic: unknown, bodyId: unknown): string | undefined {
  if (typeof topic !== 'string' || topic.trim() === '') return undefined;
  const rest = campaignIdFromTopic(topic);
  if (rest !== undefined && (rest === bodyId || !rest.includes('.'))) return undefined;
  const shown = topic.length > 200 ? `${topic.slice(0, 200)}...` : topic;
  return `topic ${shown} starts no report`;
}

/**
 * The issue with a message's `topicName` (at `path`) when it is no campaign topic (`malformed`)
 * or names another campaign than its body (whose id is at `bodyIdPath`); undefined when it fits.
 */
export function topicNameIssue(
  topicName: string,
  bodyId: string,
  paths: { path: string; bodyIdPath: string },
  malformed: string,
): PayloadIssue | undefined {
  const topicId = campaignIdFromTopic(topicName);
  if (topicId === undefined) return { path: paths.path, message: malformed };
  if (topicId !== bodyId)
    return {
      path: paths.path,
      message: `names campaign "${topicId}" but ${paths.bodyIdPath} is "${bodyId}"`,
    };
  return undefined;
}

/** Genesys `campaignStatus` -> wrapup status: complete -> completed, off/forced_off -> stopped. */
export function mapCampaignStatus(campaignStatus: string): string {
  const s = campaignStatus.trim().toLowerCase();
  if (s === 'complete') return 'completed';
  if (s === 'off' || s === 'forced_off') return 'stopped';
  return s;
}

/** When a campaign copy happened, and for a Notification API message the times it was judged by. */
export interface CampaignCopyTimes {
  occurredAt: string;
  sentAt?: string | undefined;
  receivedAt?: string | undefined;
}

/** The internal event for a Genesys campaign copy (EventBridge `detail.eventBody`, Notification `eventBody`). */
export function finishedFromCampaignBody(
  body: {
    id: string;
    campaignStatus: string;
    name?: string | null | undefined;
    version?: number | undefined;
  },
  times: CampaignCopyTimes,
  shape: 'eventbridge' | 'notification',
  senderEventId: string | undefined,
): CampaignFinished {
  return {
    campaignId: body.id,
    status: mapCampaignStatus(body.campaignStatus),
    occurredAt: times.occurredAt,
    durationSeconds: undefined,
    contactCount: undefined,
    senderEventId,
    shape,
    campaignName: body.name ?? undefined,
    ...(body.version !== undefined ? { campaignVersion: body.version } : {}),
    ...(times.sentAt !== undefined ? { sentAt: times.sentAt } : {}),
    ...(times.receivedAt !== undefined ? { receivedAt: times.receivedAt } : {}),
  };
}
