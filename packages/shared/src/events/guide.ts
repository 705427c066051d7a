import * as v from 'valibot';
import {
  CampaignIdSchema,
  checkedString,
  optionalNonNegativeInteger,
  optionalNonNegativeNumber,
  optionalString,
  requiredString,
  timeValue,
} from './common';
import { orUndefined, pickTime, type Converted, type ParseOptions } from './convert';

export const GUIDE_EVENT_TYPE_PREFIX = 'outbound.campaign.';

/**
 * The guide's event:
 * `{eventType: "outbound.campaign.<status>", timestamp, data: {campaignId, status, durationSeconds?, contactCount?, agentId?, userId?}}`.
 * Extra fields are allowed and dropped.
 */
export const GuideEventSchema = v.object(
  {
    eventType: checkedString('must be a string "outbound.campaign.<status>"', (m) =>
      v.regex(/^outbound\.campaign\.[A-Za-z_]+$/, m),
    ),
    timestamp: timeValue(),
    data: v.object(
      {
        campaignId: CampaignIdSchema,
        status: requiredString('a status string such as "completed" or "stopped"'),
        durationSeconds: optionalNonNegativeNumber(),
        contactCount: optionalNonNegativeInteger(),
        agentId: optionalString(),
        userId: optionalString(),
      },
      'must be an object',
    ),
  },
  'must be an object',
);
export type GuideEvent = v.InferOutput<typeof GuideEventSchema>;

/** Guide status -> wrapup status: `completed` and `stopped` as they are, anything else lower-cased. */
export const mapGuideStatus = (status: string) => status.trim().toLowerCase();

/**
 * A schema-valid guide event -> CampaignFinished: checks eventType against data.status, the
 * timestamp (and its horizon) and data.durationSeconds against opts.maxWindowDays.
 */
export function fromGuideEvent(e: GuideEvent, opts: ParseOptions): Converted {
  const status = mapGuideStatus(e.data.status);
  const typeStatus = e.eventType.slice(GUIDE_EVENT_TYPE_PREFIX.length).toLowerCase();
  const issues = [];
  if (typeStatus !== status) {
    issues.push({
      path: 'eventType',
      message: `must match data.status: "outbound.campaign.${status}", got "${e.eventType}"`,
    });
  }
  const durationSeconds = orUndefined(e.data.durationSeconds);
  const maxSeconds =
    opts.maxWindowDays === undefined ? undefined : Math.round(opts.maxWindowDays * 86_400);
  if (durationSeconds !== undefined && maxSeconds !== undefined && durationSeconds > maxSeconds) {
    issues.push({
      path: 'data.durationSeconds',
      message: `must be at most ${maxSeconds} (${opts.maxWindowDays} days, the longest analytics window)`,
    });
  }
  const time = pickTime([['timestamp', e.timestamp]], opts, 'is required');
  if ('issue' in time) issues.push(time.issue);
  if (issues.length > 0 || !('occurredAt' in time)) return { issues };
  return {
    event: {
      campaignId: e.data.campaignId,
      status,
      occurredAt: time.occurredAt,
      durationSeconds,
      contactCount: orUndefined(e.data.contactCount),
      senderEventId: undefined,
      shape: 'guide',
      campaignName: undefined,
    },
  };
}
