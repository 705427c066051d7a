import * as v from 'valibot';
import { CampaignBodySchema, campaignIdFromTopic, finishedFromCampaignBody } from './campaign-body';
import { pickTime, type Converted, type ParseOptions } from './convert';
import type { PayloadIssue } from './issues';
import { MetadataSchema, optionalString, requiredString, timeValue } from './common';

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
    'detail-type': v.pipe(
      v.string('must be a string "v2.outbound.campaigns.{id}"'),
      v.startsWith('v2.outbound.campaigns.', 'must be a string "v2.outbound.campaigns.{id}"'),
    ),
    source: v.pipe(
      v.string('must be a string "aws.partner/genesys.com/..."'),
      v.startsWith(EVENTBRIDGE_SOURCE_PREFIX, 'must be a string "aws.partner/genesys.com/..."'),
    ),
    time: v.nullish(timeValue()),
    detail: v.object(
      {
        topicName: requiredString('a string "v2.outbound.campaigns.<campaignId>"'),
        version: v.nullish(v.union([v.string(), v.number()], 'must be a string')),
        eventBody: CampaignBodySchema,
        metadata: MetadataSchema,
        timestamp: v.nullish(timeValue()),
      },
      'must be an object',
    ),
  },
  'must be an object',
);
export type EventBridgeEvent = v.InferOutput<typeof EventBridgeEventSchema>;

const DETAIL_TYPE_TEMPLATE = 'v2.outbound.campaigns.{id}';

/**
 * A schema-valid EventBridge event -> CampaignFinished. The campaign is `detail.eventBody.id`,
 * which must match the id in `detail.topicName` (and in `detail-type` when that is not the
 * `{id}` template). The time is `time`, else `detail.timestamp`.
 */
export function fromEventBridgeEvent(e: EventBridgeEvent, opts: ParseOptions): Converted {
  const issues: PayloadIssue[] = [];
  const body = e.detail.eventBody;
  const topicId = campaignIdFromTopic(e.detail.topicName);
  if (topicId === undefined) {
    issues.push({ path: 'detail.topicName', message: 'must be "v2.outbound.campaigns.<campaignId>"' });
  } else if (topicId !== body.id) {
    issues.push({
      path: 'detail.topicName',
      message: `names campaign "${topicId}" but detail.eventBody.id is "${body.id}"`,
    });
  }
  const detailType = e['detail-type'];
  if (detailType !== DETAIL_TYPE_TEMPLATE && campaignIdFromTopic(detailType) !== body.id) {
    issues.push({
      path: 'detail-type',
      message: `must be "${DETAIL_TYPE_TEMPLATE}" or name campaign "${body.id}", got "${detailType}"`,
    });
  }
  const time = pickTime(
    [
      ['time', e.time],
      ['detail.timestamp', e.detail.timestamp],
    ],
    opts,
    'is required (or detail.timestamp)',
  );
  if ('issue' in time) issues.push(time.issue);
  if (issues.length > 0 || !('occurredAt' in time)) return { issues };
  return { event: finishedFromCampaignBody(body, time.occurredAt, 'eventbridge', e.id) };
}
