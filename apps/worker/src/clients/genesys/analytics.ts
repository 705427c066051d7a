import { CAMPAIGN_METRICS } from '@wrapup/shared';

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

/** The metrics of one report (see `CAMPAIGN_METRICS` in @wrapup/shared). */
export { CAMPAIGN_METRICS };

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
