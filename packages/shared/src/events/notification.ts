import * as v from 'valibot';
import { CampaignBodySchema, campaignIdFromTopic, finishedFromCampaignBody } from './campaign-body';
import { orUndefined, pickTime, type Converted, type ParseOptions } from './convert';
import type { PayloadIssue } from './issues';
import { MetadataSchema, requiredString, timeValue } from './common';

/** Notification API heartbeats carry this topic (and no campaign). */
export const HEARTBEAT_TOPIC = 'channel.metadata';

/**
 * A Notification API (WebSocket) message relayed to us:
 * `{topicName: "v2.outbound.campaigns.<id>", version, eventBody: {<campaign>}, metadata: {CorrelationId}}`.
 */
export const NotificationMessageSchema = v.object(
  {
    topicName: requiredString('a string "v2.outbound.campaigns.<campaignId>"'),
    version: v.nullish(v.union([v.string(), v.number()], 'must be a string')),
    eventBody: CampaignBodySchema,
    metadata: MetadataSchema,
    /** Not sent by Genesys; accepted from relays that stamp the message. */
    timestamp: v.nullish(timeValue()),
  },
  'must be an object',
);
export type NotificationMessage = v.InferOutput<typeof NotificationMessageSchema>;

/**
 * A schema-valid notification -> CampaignFinished. The campaign is `eventBody.id`, which must
 * match `topicName`. The time is `eventBody.dateModified`, else `metadata.timestamp`, else a
 * top-level `timestamp`; with none of them the message cannot be dated and is invalid.
 */
export function fromNotificationMessage(m: NotificationMessage, opts: ParseOptions): Converted {
  const issues: PayloadIssue[] = [];
  const body = m.eventBody;
  const topicId = campaignIdFromTopic(m.topicName);
  if (topicId === undefined) {
    issues.push({
      path: 'topicName',
      message: `must be "v2.outbound.campaigns.<campaignId>" or "${HEARTBEAT_TOPIC}", got "${m.topicName}"`,
    });
  } else if (topicId !== body.id) {
    issues.push({ path: 'topicName', message: `names campaign "${topicId}" but eventBody.id is "${body.id}"` });
  }
  const time = pickTime(
    [
      ['eventBody.dateModified', body.dateModified],
      ['metadata.timestamp', m.metadata?.timestamp],
      ['timestamp', m.timestamp],
    ],
    opts,
    'is required to date the event (or metadata.timestamp)',
  );
  if ('issue' in time) issues.push(time.issue);
  if (issues.length > 0 || !('occurredAt' in time)) return { issues };
  return { event: finishedFromCampaignBody(body, time.occurredAt, 'notification', orUndefined(m.metadata?.CorrelationId)) };
}
