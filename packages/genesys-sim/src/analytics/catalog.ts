import type { SimConversation } from '../model/types';

/** Count metrics answer `stats.count`; timer metrics answer max/min/count/sum in ms. */
export type MetricKind = 'count' | 'timer';

interface MetricDef {
  kind: MetricKind;
  /** 1 for a counted conversation, ms for a timer; undefined when it does not apply. */
  value: (c: SimConversation) => number | undefined;
  /**
   * The metric's own time (epoch ms): an aggregates query counts it in the interval and bucket
   * holding this instant, and shows it once this instant plus the analytics lag has passed.
   * Always inside [startMs, endMs] of the conversation (the candidate index relies on it).
   */
  at: (c: SimConversation) => number;
}

/*
 * Metric times. That each metric has its own emit time, and that the aggregates interval selects
 * metrics by that time rather than by the conversation's start or end, is the team's
 * understanding of Genesys analytics, supported by a Genesys developer-forum answer ("Metrics have
 * their own individual timestamps within the boundaries of the conversation and those are what the
 * interval pertain to"; "tHandle emits when the handling is done"; "tAnswered emits when the call
 * was actually answered"; n-metrics post in real time, t-metrics when what they measure completes:
 * https://developer.genesys.cloud/forum/t/conversation-aggregates-api-call/18235). That is a forum
 * answer, not reference documentation: treat it as assumed, unverified. The exact instant chosen
 * for each metric below (e.g. tHeld at the end of talk rather than at each hold's end) is an
 * assumption of the simulator.
 */
const one = (cond: boolean): number | undefined => (cond ? 1 : undefined);
const handled = (c: SimConversation): boolean => c.handleMs !== undefined;
const held = (c: SimConversation): number | undefined =>
  c.holdMs !== undefined && c.holdMs > 0 ? c.holdMs : undefined;
const dialStart = (c: SimConversation): number => c.startMs;
const contacted = (c: SimConversation): number => c.contactedMs;
const answered = (c: SimConversation): number => c.answeredAtMs ?? c.contactedMs;
const talkEnd = (c: SimConversation): number => c.talkEndMs ?? c.endMs;
const end = (c: SimConversation): number => c.endMs;

/**
 * The conversation metrics the simulator computes. tHandle = tTalk + tHeld + tAcw for each
 * handled conversation (assumed, unverified: handle time as talk + hold + after-call work).
 * `tHeld` is the hold-time metric of the SDK's metrics enum (verified); the
 * `...Complete` variants answer the same values here, since every simulated segment completes.
 */
export const METRICS: Readonly<Record<string, MetricDef>> = {
  nOutbound: { kind: 'count', value: () => 1, at: dialStart },
  nOutboundAttempted: { kind: 'count', value: () => 1, at: dialStart },
  nOutboundConnected: { kind: 'count', value: (c) => one(c.connected), at: contacted },
  nOutboundAbandoned: { kind: 'count', value: (c) => one(c.abandoned), at: end },
  nConnected: { kind: 'count', value: (c) => one(handled(c)), at: answered },
  nOffered: { kind: 'count', value: (c) => one(handled(c)), at: contacted },
  tHandle: { kind: 'timer', value: (c) => c.handleMs, at: end },
  tTalk: { kind: 'timer', value: (c) => c.talkMs, at: talkEnd },
  tTalkComplete: { kind: 'timer', value: (c) => c.talkMs, at: talkEnd },
  tHeld: { kind: 'timer', value: held, at: talkEnd },
  tHeldComplete: { kind: 'timer', value: held, at: talkEnd },
  tAcw: { kind: 'timer', value: (c) => c.acwMs, at: end },
  tAnswered: { kind: 'timer', value: (c) => c.answeredMs, at: answered },
  tContacting: { kind: 'timer', value: (c) => c.contactingMs, at: contacted },
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
