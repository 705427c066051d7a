import type { SimConversation } from '../model/types';

/** Count metrics answer `stats.count`; timer metrics answer max/min/count/sum in ms. */
export type MetricKind = 'count' | 'timer';

interface MetricDef {
  kind: MetricKind;
  /** 1 for a counted conversation, ms for a timer; undefined when it does not apply. */
  value: (c: SimConversation) => number | undefined;
}

const one = (cond: boolean): number | undefined => (cond ? 1 : undefined);
const handled = (c: SimConversation): boolean => c.handleMs !== undefined;

/** The conversation metrics the simulator computes. */
export const METRICS: Readonly<Record<string, MetricDef>> = {
  nOutbound: { kind: 'count', value: () => 1 },
  nOutboundAttempted: { kind: 'count', value: () => 1 },
  nOutboundConnected: { kind: 'count', value: (c) => one(c.connected) },
  nOutboundAbandoned: { kind: 'count', value: (c) => one(c.abandoned) },
  nConnected: { kind: 'count', value: (c) => one(handled(c)) },
  nOffered: { kind: 'count', value: (c) => one(handled(c)) },
  tHandle: { kind: 'timer', value: (c) => c.handleMs },
  tTalk: { kind: 'timer', value: (c) => c.talkMs },
  tTalkComplete: { kind: 'timer', value: (c) => c.talkMs },
  tAcw: { kind: 'timer', value: (c) => c.acwMs },
  tAnswered: { kind: 'timer', value: (c) => c.answeredMs },
  tContacting: { kind: 'timer', value: (c) => c.contactingMs },
};

/** The dimensions usable in `groupBy` and filter predicates. */
export const DIMENSIONS: Readonly<Record<string, (c: SimConversation) => string | undefined>> = {
  conversationId: (c) => c.conversationId,
  outboundCampaignId: (c) => c.campaignId,
  outboundContactListId: (c) => c.contactListId,
  outboundContactId: (c) => c.contactId,
  queueId: (c) => c.queueId,
  userId: (c) => c.userId,
  mediaType: (c) => c.mediaType,
  direction: (c) => c.direction,
  originatingDirection: (c) => c.direction,
  wrapUpCode: (c) => c.wrapUpCode,
};

export const isMetric = (name: string): boolean => Object.hasOwn(METRICS, name);
export const isDimension = (name: string): boolean => Object.hasOwn(DIMENSIONS, name);
