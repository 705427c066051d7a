import * as v from 'valibot';
import {
  NO_CAMPAIGN_STATUS_REASON,
  campaignIdFromTopic,
  campaignMessageEntries,
  finishedFromCampaignBody,
  otherTopicReason,
  topicNameIssue,
} from './campaign-body';
import { pickTime, type Converted, type ParseOptions } from './convert';
import type { PayloadIssue } from './issues';
import { checkedString, isRecord, optionalString, requiredString, timeValue } from './common';

export const EVENTBRIDGE_SOURCE_PREFIX = 'aws.partner/genesys.com/';

/**
 * An Amazon EventBridge event from the Genesys Cloud integration, as an API destination posts it:
 * `{version, id, "detail-type": "v2.outbound.campaigns.{id}", source: "aws.partner/genesys.com/...", time,
 *   detail: {topicName, version, eventBody: {id, name?, campaignStatus, ...}, metadata, timestamp}}`.
 * `detail-type` holds the template with a literal `{id}` (a concrete id is accepted too).
 */
export const EventBridgeEventSchema = v.object(
  {
    version: optionalString(),
    id: requiredString('a non-empty string (the EventBridge event id)'),
    'detail-type': checkedString('must be a string "v2.outbound.campaigns.{id}"', (m) =>
      v.startsWith('v2.outbound.campaigns.', m),
    ),
    source: checkedString('must be a string "aws.partner/genesys.com/..."', (m) =>
      v.startsWith(EVENTBRIDGE_SOURCE_PREFIX, m),
    ),
    time: v.nullish(timeValue()),
    detail: v.object(campaignMessageEntries, 'must be an object'),
  },
  'must be an object',
);
export type EventBridgeEvent = v.InferOutput<typeof EventBridgeEventSchema>;

const DETAIL_TYPE_TEMPLATE = 'v2.outbound.campaigns.{id}';

/**
 * Checked before the schema (a progress body is no campaign): why an EventBridge event whose
 * `detail.topicName` or `detail-type` is not the campaign topic starts no report, e.g.
 * `detail-type` `v2.outbound.campaigns.{id}.progress`; undefined for the campaign topic.
 */
export function eventBridgeOtherTopic(body: Record<string, unknown>): string | undefined {
  const detail = isRecord(body.detail) ? body.detail : undefined;
  const bodyId = detail && isRecord(detail.eventBody) ? detail.eventBody.id : undefined;
  return (
    otherTopicReason(detail?.topicName, bodyId) ?? otherTopicReason(body['detail-type'], bodyId)
  );
}

/**
 * A schema-valid EventBridge event -> CampaignFinished. The campaign is `detail.eventBody.id`,
 * which must match the id in `detail.topicName` (and in `detail-type` when that is not the
 * `{id}` template). A copy without `campaignStatus` is ignored. The time is `detail.timestamp`
 * (set by Genesys; ISO text or epoch milliseconds), else the envelope `time`; outside the
 * horizon (opts.maxAgeDays / maxFutureSeconds) it is an issue at its path.
 */
export function fromEventBridgeEvent(e: EventBridgeEvent, opts: ParseOptions): Converted {
  const issues: PayloadIssue[] = [];
  const body = e.detail.eventBody;
  const topicIssue = topicNameIssue(
    e.detail.topicName,
    body.id,
    { path: 'detail.topicName', bodyIdPath: 'detail.eventBody.id' },
    'must be "v2.outbound.campaigns.<campaignId>"',
  );
  if (topicIssue) issues.push(topicIssue);
  const detailType = e['detail-type'];
  if (detailType !== DETAIL_TYPE_TEMPLATE && campaignIdFromTopic(detailType) !== body.id) {
    issues.push({
      path: 'detail-type',
      message: `must be "${DETAIL_TYPE_TEMPLATE}" or name campaign "${body.id}", got "${detailType}"`,
    });
  }
  const { campaignStatus } = body;
  if (campaignStatus === undefined || campaignStatus === null) {
    return issues.length > 0 ? { issues } : { ignored: NO_CAMPAIGN_STATUS_REASON };
  }
  const time = pickTime(
    [
      ['detail.timestamp', e.detail.timestamp],
      ['time', e.time],
    ],
    opts,
    'is required (or time)',
  );
  if ('issue' in time) issues.push(time.issue);
  if (issues.length > 0 || !('occurredAt' in time)) return { issues };
  return {
    event: finishedFromCampaignBody(
      { ...body, campaignStatus },
      { occurredAt: time.occurredAt },
      'eventbridge',
      e.id,
    ),
  };
}
