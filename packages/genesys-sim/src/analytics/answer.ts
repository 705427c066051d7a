import type { SimState } from '../model/state';
import { aggregate, type AggregatesResponse } from './aggregate';
import type { AggregatesQuery } from './query';
import { candidateConversations } from './select';

/** Answers a validated aggregates query from the state's campaign index. */
export function answerAggregates(state: SimState, q: AggregatesQuery): AggregatesResponse {
  const candidates = candidateConversations(state, q);
  state.scannedConversations += candidates.length;
  return aggregate(candidates, q, {
    nowMs: state.now(),
    lagMs: state.settings.analyticsLagMs,
    jitterMs: state.settings.analyticsLagJitterMs,
  });
}
