import * as v from 'valibot';
import {
  NO_CAMPAIGN_STATUS_REASON,
  campaignMessageEntries,
  finishedFromCampaignBody,
  otherTopicReason,
  topicNameIssue,
} from './campaign-body';
import { laterOf, orUndefined, pickTime, type Converted, type ParseOptions } from './convert';
import type { PayloadIssue } from './issues';
import { isRecord } from './common';
import { toUtcIso } from '../time';

/** Notification API heartbeats carry this topic (and no campaign). */
export const HEARTBEAT_TOPIC = 'channel.metadata';

/**
 * A Notification API (WebSocket) message relayed to us:
 * `{topicName: "v2.outbound.campaigns.<id>", version, eventBody: {<campaign>}, metadata: {CorrelationId}}`.
 */
export const NotificationMessageSchema = v.object(campaignMessageEntries, 'must be an object');
export type NotificationMessage = v.InferOutput<typeof NotificationMessageSchema>;

/**
 * Checked before the schema (a progress body is no campaign): why a message on a topic other
 * than `v2.outbound.campaigns.<id>` (e.g. `v2.outbound.campaigns.<id>.progress`) starts no
 * report; undefined for the campaign topic. Heartbeats are told apart before this.
 */
export function notificationOtherTopic(body: Record<string, unknown>): string | undefined {
  return otherTopicReason(body.topicName, isRecord(body.eventBody) ? body.eventBody.id : undefined);
}

/**
 * A schema-valid notification -> CampaignFinished. The campaign is `eventBody.id`, which must
 * match `topicName`; a copy without `campaignStatus` is ignored. The message's own time
 * (`sentAt`) is `eventBody.dateModified`, else `metadata.timestamp`, else a top-level
 * `timestamp`. `occurredAt` is the later of it and `opts.receivedAt`, whichever exist; with
 * neither the message cannot be dated and is invalid. A sent time outside the horizon
 * (opts.maxAgeDays / maxFutureSeconds) is refused at its path even though receivedAt could date
 * the message: a copy that old (or from the future) is not a finish happening now, and a
 * future one would be remembered as the campaign's latest state.
 */
export function fromNotificationMessage(m: NotificationMessage, opts: ParseOptions): Converted {
  const issues: PayloadIssue[] = [];
  const body = m.eventBody;
  const topicIssue = topicNameIssue(
    m.topicName,
    body.id,
    { path: 'topicName', bodyIdPath: 'eventBody.id' },
    `must be "v2.outbound.campaigns.<campaignId>" or "${HEARTBEAT_TOPIC}", got "${m.topicName}"`,
  );
  if (topicIssue) issues.push(topicIssue);
  const { campaignStatus } = body;
  if (campaignStatus === undefined || campaignStatus === null) {
    return issues.length > 0 ? { issues } : { ignored: NO_CAMPAIGN_STATUS_REASON };
  }
  const receivedAt = opts.receivedAt === undefined ? undefined : toUtcIso(opts.receivedAt, 'UTC');
  const sent = pickTime(
    [
      ['eventBody.dateModified', body.dateModified],
      ['metadata.timestamp', m.metadata?.timestamp],
      ['timestamp', m.timestamp],
    ],
    opts,
    'is required to date the event (or metadata.timestamp)',
  );
  const sentAt = 'occurredAt' in sent ? sent.occurredAt : undefined;
  // No time of its own is fine when the ingest says when it arrived; a malformed one never is.
  if ('issue' in sent && !(sent.missing && receivedAt !== undefined)) issues.push(sent.issue);
  const occurredAt =
    sentAt === undefined
      ? receivedAt
      : receivedAt === undefined
        ? sentAt
        : laterOf(sentAt, receivedAt);
  if (issues.length > 0 || occurredAt === undefined) return { issues };
  return {
    event: finishedFromCampaignBody(
      { ...body, campaignStatus },
      { occurredAt, sentAt, receivedAt },
      'notification',
      orUndefined(m.metadata?.CorrelationId),
    ),
  };
}
