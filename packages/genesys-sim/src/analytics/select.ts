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

/** First index whose conversation ends at or after `ms` (the list is ordered by end time). */
function firstEndingAtOrAfter(list: readonly SimConversation[], ms: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as SimConversation).endMs < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The conversations an aggregates query has to look at: those that ended inside its interval, of
 * the pinned campaigns only when the filter pins the campaign, else of every campaign. They come
 * in the same order a scan of every stored conversation meets them (campaign creation order, then
 * end time), so the answer, down to the order of its groups, is the full scan's.
 */
export function candidateConversations(
  index: ReadonlyMap<string, readonly SimConversation[]>,
  q: AggregatesQuery,
): SimConversation[] {
  const pins = campaignPins(q.filter);
  let lists: Iterable<readonly SimConversation[]>;
  if (pins === undefined) lists = index.values();
  else if (pins.size <= 1) {
    const [only] = pins;
    const list = only === undefined ? undefined : index.get(only);
    lists = list ? [list] : [];
  } else lists = [...index].filter(([id]) => pins.has(id)).map(([, list]) => list);

  const out: SimConversation[] = [];
  for (const list of lists) {
    const from = firstEndingAtOrAfter(list, q.startMs);
    const to = firstEndingAtOrAfter(list, q.endMs);
    for (let i = from; i < to; i++) out.push(list[i] as SimConversation);
  }
  return out;
}
