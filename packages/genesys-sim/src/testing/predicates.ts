/** Aggregates-query predicates the tests filter by, as the platform's (and the SDK's) types spell them. */

/** Conversations of one outbound campaign. */
export const campaignPredicate = (campaignId: string) => ({
  type: 'dimension' as const,
  dimension: 'outboundCampaignId' as const,
  operator: 'matches' as const,
  value: campaignId,
});

/** Voice conversations. */
export const VOICE_PREDICATE = {
  type: 'dimension' as const,
  dimension: 'mediaType' as const,
  operator: 'matches' as const,
  value: 'voice',
};
