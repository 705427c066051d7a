/** Body of `POST /api/v2/analytics/conversations/aggregates/query`. */
export interface AggregatesQuery {
  /** ISO-8601 `start/end`, UTC. */
  interval: string;
  granularity?: string;
  timeZone?: string;
  groupBy?: string[];
  filter?: AggregatesFilter;
  metrics: string[];
  [extra: string]: unknown;
}

export interface AggregatesFilter {
  type: 'and' | 'or';
  predicates?: {
    type?: 'dimension';
    dimension: string;
    operator?: 'matches' | 'exists' | 'notExists';
    value?: string;
  }[];
  clauses?: AggregatesFilter[];
}

/**
 * The metrics of one report (all in the SDK's ConversationAggregationQuery metrics enum, checked
 * against platform-client-sdk-java): attempts, connects and abandons are counts; handle, talk,
 * hold and after-call work are timers (ms, sum/count). Each posts at its own time (an attempt when
 * dialled, tHandle and tAcw when after-call work ends), which is why the interval reaches a tail
 * past the finish.
 */
export const CAMPAIGN_METRICS = [
  'nOutboundAttempted',
  'nOutboundConnected',
  'nOutboundAbandoned',
  'tHandle',
  'tTalk',
  'tHeld',
  'tAcw',
] as const;

/** Longer intervals are queried in pieces of this many days (a cap Genesys apps keep to). */
export const MAX_QUERY_DAYS = 7;

/**
 * The query for one campaign's outbound voice metrics over `interval`. Grouping by `wrapUpCode`
 * too (a groupBy dimension in the SDK's enum) gives the wrap-up breakdown in the same query; the
 * groups are summed back for the totals, and a conversation without a code lands in a group
 * without that key. A flat filter (the SDK's clauses hold predicates only, never clauses).
 */
export function campaignAggregatesQuery(campaignId: string, interval: string): AggregatesQuery {
  return {
    interval,
    groupBy: ['outboundCampaignId', 'wrapUpCode'],
    filter: {
      type: 'and',
      predicates: [
        {
          type: 'dimension',
          dimension: 'outboundCampaignId',
          operator: 'matches',
          value: campaignId,
        },
        { type: 'dimension', dimension: 'mediaType', operator: 'matches', value: 'voice' },
      ],
    },
    metrics: [...CAMPAIGN_METRICS],
  };
}
