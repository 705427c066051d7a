import type { AnalyticsCounts } from '@wrapup/shared';

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
  predicates?: { type?: 'dimension'; dimension: string; operator?: 'matches' | 'exists' | 'notExists'; value?: string }[];
  clauses?: AggregatesFilter[];
}

export const CAMPAIGN_METRICS = [
  'nOutboundAttempted',
  'nOutboundConnected',
  'nOutboundAbandoned',
  'tHandle',
  'tTalk',
  'tAcw',
] as const;

/** Longer intervals are queried in pieces of this many days (a cap Genesys apps keep to). */
export const MAX_QUERY_DAYS = 7;

/** The query for one campaign's outbound voice metrics over `interval`, per the facts file. */
export function campaignAggregatesQuery(campaignId: string, interval: string): AggregatesQuery {
  return {
    interval,
    groupBy: ['outboundCampaignId'],
    filter: {
      type: 'and',
      predicates: [
        { type: 'dimension', dimension: 'outboundCampaignId', operator: 'matches', value: campaignId },
        { type: 'dimension', dimension: 'mediaType', operator: 'matches', value: 'voice' },
      ],
    },
    metrics: [...CAMPAIGN_METRICS],
  };
}

export function addCounts(a: AnalyticsCounts, b: AnalyticsCounts): AnalyticsCounts {
  return {
    attempted: a.attempted + b.attempted,
    connected: a.connected + b.connected,
    handleSumMs: a.handleSumMs + b.handleSumMs,
    handleCount: a.handleCount + b.handleCount,
  };
}

export const ZERO_COUNTS: AnalyticsCounts = { attempted: 0, connected: 0, handleSumMs: 0, handleCount: 0 };
