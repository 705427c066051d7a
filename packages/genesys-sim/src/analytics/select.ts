import type { SimConversation } from '../model/types';
import type { AggregatesQuery, QueryFilter } from './query';

/**
 * The campaign ids a conversation must have to pass `filter`, or undefined when the filter does
 * not pin the campaign. An `and` pins when any part pins (`outboundCampaignId matches X`, or a
 * pinning clause); an `or` pins only when every part does. An empty set means nothing can match.
 */
export function campaignPins(filter: QueryFilter | undefined): ReadonlySet<string> | undefined {
  if (!filter) return undefined;
  const parts: (ReadonlySet<string> | undefined)[] = [
    ...filter.predicates.map((p) =>
      p.dimension === 'outboundCampaignId' && p.operator === 'matches' && p.value !== undefined
        ? new Set([p.value])
        : undefined,
    ),
    ...filter.clauses.map(campaignPins),
  ];
  if (filter.type === 'and') {
    let pins: Set<string> | undefined;
    for (const part of parts) {
      if (!part) continue;
      pins = pins ? new Set([...pins].filter((id) => part.has(id))) : new Set(part);
    }
    return pins;
  }
  const union = new Set<string>();
  for (const part of parts) {
    if (!part) return undefined;
    for (const id of part) union.add(id);
  }
  return union;
}

/** The conversations by campaign, each list ordered by dial start, and each campaign's longest conversation. */
export interface ConversationIndex {
  conversations: ReadonlyMap<string, readonly SimConversation[]>;
  /** Per campaign, the longest `endMs - startMs`; a campaign missing here has no conversations. */
  longestMs: ReadonlyMap<string, number>;
}

/** First index whose conversation's dial starts at or after `ms` (the list is ordered by dial start). */
function firstStartingAtOrAfter(list: readonly SimConversation[], ms: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as SimConversation).startMs < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The conversations an aggregates query has to look at: those with a metric time that may fall
 * inside its interval, of the pinned campaigns only when the filter pins the campaign, else of
 * every campaign. Every metric time lies in [startMs, endMs] of its conversation, so a conversation
 * qualifies when startMs < interval end and endMs >= interval start; the dial-start order finds
 * them between (interval start - the campaign's longest conversation) and the interval end.
 * They come in the same order a scan of every stored conversation meets them (campaign creation
 * order, then dial start), so the answer, down to the order of its groups, is the full scan's.
 */
export function candidateConversations(
  index: ConversationIndex,
  q: AggregatesQuery,
): SimConversation[] {
  const pins = campaignPins(q.filter);
  let ids: Iterable<string>;
  if (pins === undefined) ids = index.conversations.keys();
  else if (pins.size <= 1) ids = [...pins].filter((id) => index.conversations.has(id));
  else ids = [...index.conversations.keys()].filter((id) => pins.has(id));
  const out: SimConversation[] = [];
  for (const id of ids) {
    const list = index.conversations.get(id) ?? [];
    const longest = index.longestMs.get(id) ?? 0;
    const from = firstStartingAtOrAfter(list, q.startMs - longest);
    const to = firstStartingAtOrAfter(list, q.endMs);
    for (let i = from; i < to; i++) {
      const c = list[i] as SimConversation;
      if (c.endMs >= q.startMs) out.push(c);
    }
  }
  return out;
}
