import type { Compliance, ComplianceDenominator, Report } from '@wrapup/shared';

/**
 * The compliance abandon rate of a report, the way the org's Outbound Settings say to count it
 * (`complianceAbandonRateDenominator`; Genesys's help: "For all calls, the calculation is abandon
 * calls/all calls, including, for example, busy and no answer. For calls that reached the queue,
 * the calculation is abandon calls/only the calls transferred to the queue, usually live voice
 * calls"), mapped onto the figures the report has:
 *
 * - `ALL_CALLS`: abandonedCalls (nOutboundAbandoned) / totalCallsAttempted (nOutboundAttempted);
 * - `CALLS_THAT_REACHED_QUEUE`: abandonedCalls / connectedCalls (nOutboundConnected), assuming
 *   nOutboundConnected counts the calls the dialer passed to the queue (live voice). This is the
 *   same number as the report's plain `abandonRate`.
 *
 * That nOutboundAbandoned counts Genesys's compliance abandons (not connected to an agent within
 * the org's `abandonSeconds`) rather than only true abandons is assumed (docs/platform-facts.md).
 */
export const RULES: Record<ComplianceDenominator, string> = {
  ALL_CALLS: 'abandoned / attempted (ALL_CALLS: every call placed, busy and no answer included)',
  CALLS_THAT_REACHED_QUEUE:
    'abandoned / connected (CALLS_THAT_REACHED_QUEUE: calls the dialer passed to the queue)',
};

export interface ComplianceInput {
  denominator: ComplianceDenominator;
  /** True when the org did not say (settings without the field): the denominator was assumed. */
  denominatorAssumed?: boolean;
  /** The campaign's `abandonRate` as Genesys gives it: a percentage (5 = 5%); null when unset. */
  campaignTargetPercent: number | null | undefined;
  /** ABANDON_RATE_LIMIT as a fraction; 0 turns the check off. */
  abandonRateLimit: number;
  configVersion: number | null;
}

/** undefined when the report has no abandon figure (a v2.0 report). */
export function computeCompliance(report: Report, input: ComplianceInput): Compliance | undefined {
  const m = report.metrics;
  if (m.abandonedCalls === undefined) return undefined;
  const calls =
    input.denominator === 'ALL_CALLS'
      ? m.totalCallsAttempted
      : (m.connectedCalls ?? m.successfulContacts);
  const abandonRate = calls > 0 ? m.abandonedCalls / calls : 0;
  const target =
    typeof input.campaignTargetPercent === 'number' && input.campaignTargetPercent >= 0
      ? input.campaignTargetPercent / 100
      : null;
  const checked = input.abandonRateLimit > 0;
  // the lower of the two; the campaign's target wins a tie (it is the more specific)
  const useCampaign = checked && target !== null && target <= input.abandonRateLimit;
  const limit = !checked ? null : useCampaign ? target : input.abandonRateLimit;
  return {
    abandonRate,
    denominator: input.denominator,
    rule:
      RULES[input.denominator] +
      (input.denominatorAssumed ? '; org setting not given, assumed' : ''),
    limit,
    limitSource: !checked ? null : useCampaign ? 'campaign' : 'ABANDON_RATE_LIMIT',
    campaignTarget: target,
    over: limit !== null && abandonRate > limit,
    configVersion: input.configVersion,
  };
}
