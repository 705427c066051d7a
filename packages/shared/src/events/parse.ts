import * as v from 'valibot';
import type { CampaignFinished } from './types';
import { fromValibot, type PayloadIssue } from './issues';
import type { Converted, ParseOptions } from './convert';
import { GuideEventSchema, fromGuideEvent } from './guide';
import { EventBridgeEventSchema, fromEventBridgeEvent } from './eventbridge';
import { HEARTBEAT_TOPIC, NotificationMessageSchema, fromNotificationMessage } from './notification';

export type ParseResult =
  | { kind: 'event'; event: CampaignFinished }
  | { kind: 'heartbeat' }
  | { kind: 'invalid'; issues: PayloadIssue[] };

export const UNKNOWN_SHAPE_MESSAGE =
  'must be one of: the guide event {eventType, timestamp, data}, an EventBridge event {detail-type, detail}, ' +
  'or a Notification API message {topicName, eventBody}';

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

function run<S extends v.GenericSchema>(
  schema: S,
  body: unknown,
  convert: (parsed: v.InferOutput<S>, opts: ParseOptions) => Converted,
  opts: ParseOptions,
): ParseResult {
  const parsed = v.safeParse(schema, body);
  if (!parsed.success) return { kind: 'invalid', issues: fromValibot(parsed.issues) };
  const converted = convert(parsed.output, opts);
  return 'event' in converted
    ? { kind: 'event', event: converted.event }
    : { kind: 'invalid', issues: converted.issues };
}

/**
 * Any accepted campaign event -> what it means. The shape is chosen by its keys: `detail-type` or
 * `detail` -> EventBridge, `topicName` -> Notification API (`channel.metadata` is a heartbeat),
 * `eventType` or `data` -> the guide's event. Extra fields are dropped. Never throws.
 */
export function parseCampaignEvent(body: unknown, opts: ParseOptions): ParseResult {
  if (!isObject(body)) {
    return { kind: 'invalid', issues: [{ path: '', message: `${UNKNOWN_SHAPE_MESSAGE}; got ${describe(body)}` }] };
  }
  if ('detail-type' in body || 'detail' in body) {
    return run(EventBridgeEventSchema, body, fromEventBridgeEvent, opts);
  }
  if ('topicName' in body) {
    if (body.topicName === HEARTBEAT_TOPIC) return { kind: 'heartbeat' };
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
