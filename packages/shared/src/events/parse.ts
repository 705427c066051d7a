import * as v from 'valibot';
import type { CampaignFinished } from './types';
import { fromValibot, type PayloadIssue } from './issues';
import type { Converted, ParseOptions } from './convert';
import { GuideEventSchema, fromGuideEvent } from './guide';
import { EventBridgeEventSchema, eventBridgeOtherTopic, fromEventBridgeEvent } from './eventbridge';
import {
  HEARTBEAT_TOPIC,
  NotificationMessageSchema,
  fromNotificationMessage,
  notificationOtherTopic,
} from './notification';
import { isRecord } from './common';

/**
 * `ignored`: a valid message that starts no report, with why (another topic such as
 * `v2.outbound.campaigns.<id>.progress`, a campaign copy without campaignStatus).
 */
export type ParseResult =
  | { kind: 'event'; event: CampaignFinished }
  | { kind: 'heartbeat' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; issues: PayloadIssue[] };

export const UNKNOWN_SHAPE_MESSAGE =
  'must be one of: the guide event {eventType, timestamp, data}, an EventBridge event {detail-type, detail}, ' +
  'or a Notification API message {topicName, eventBody}';

function run<S extends v.GenericSchema>(
  schema: S,
  body: unknown,
  convert: (parsed: v.InferOutput<S>, opts: ParseOptions) => Converted,
  opts: ParseOptions,
): ParseResult {
  const parsed = v.safeParse(schema, body);
  if (!parsed.success) return { kind: 'invalid', issues: fromValibot(parsed.issues) };
  const converted = convert(parsed.output, opts);
  if ('event' in converted) return { kind: 'event', event: converted.event };
  if ('ignored' in converted) return { kind: 'ignored', reason: converted.ignored };
  return { kind: 'invalid', issues: converted.issues };
}

/**
 * Any accepted campaign event -> what it means. The shape is chosen by its keys: `detail-type` or
 * `detail` -> EventBridge, `topicName` -> Notification API (`channel.metadata` is a heartbeat),
 * `eventType` or `data` -> the guide's event. A topic other than `v2.outbound.campaigns.<id>` is
 * ignored before its body is checked. Extra fields are dropped. Never throws.
 */
export function parseCampaignEvent(body: unknown, opts: ParseOptions): ParseResult {
  if (!isRecord(body)) {
    return {
      kind: 'invalid',
      issues: [{ path: '', message: `${UNKNOWN_SHAPE_MESSAGE}; got ${describe(body)}` }],
    };
  }
  if ('detail-type' in body || 'detail' in body) {
    const other = eventBridgeOtherTopic(body);
    if (other !== undefined) return { kind: 'ignored', reason: other };
    return run(EventBridgeEventSchema, body, fromEventBridgeEvent, opts);
  }
  if ('topicName' in body) {
    if (body.topicName === HEARTBEAT_TOPIC) return { kind: 'heartbeat' };
    const other = notificationOtherTopic(body);
    if (other !== undefined) return { kind: 'ignored', reason: other };
    return run(NotificationMessageSchema, body, fromNotificationMessage, opts);
  }
  if ('eventType' in body || 'data' in body) {
    return run(GuideEventSchema, body, fromGuideEvent, opts);
  }
  const keys = Object.keys(body);
  return {
    kind: 'invalid',
    issues: [
      {
        path: '',
        message: `${UNKNOWN_SHAPE_MESSAGE}; got ${keys.length === 0 ? 'an empty object' : `keys ${keys.slice(0, 10).join(', ')}`}`,
      },
    ],
  };
}

function describe(x: unknown): string {
  if (x === undefined || x === '') return 'an empty body';
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return `a ${typeof x}`;
}
