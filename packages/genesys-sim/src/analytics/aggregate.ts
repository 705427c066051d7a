import type { SimConversation } from '../model/types';
import { DIMENSIONS, METRICS } from './catalog';
import { addDuration, formatInterval } from './duration';
import {
  QueryError,
  type AggregatesQuery,
  type DimensionPredicate,
  type QueryFilter,
} from './query';

export type MetricStats =
  { count: number } | { max: number; min: number; count: number; sum: number };

export interface AggregatesResponse {
  results?: {
    group: Record<string, string>;
    data: { interval: string; metrics: { metric: string; stats: MetricStats }[] }[];
  }[];
}

const MAX_BUCKETS = 10_000;

function predicateHolds(p: DimensionPredicate, c: SimConversation): boolean {
  const v = (DIMENSIONS[p.dimension] as (c: SimConversation) => string | undefined)(c);
  if (p.operator === 'exists') return v !== undefined;
  if (p.operator === 'notExists') return v === undefined;
  return v === p.value;
}

/** `and`: every predicate and clause holds; `or`: at least one does. */
function matches(filter: QueryFilter, c: SimConversation): boolean {
  const all = filter.type === 'and';
  for (const p of filter.predicates) if (predicateHolds(p, c) !== all) return !all;
  for (const clause of filter.clauses) if (matches(clause, c) !== all) return !all;
  return all;
}

/** Bucket start instants, plus the interval end as the last boundary. */
function boundaries(q: AggregatesQuery): number[] {
  if (!q.granularity) return [q.startMs, q.endMs];
  const out = [q.startMs];
  let t = q.startMs;
  while (t < q.endMs) {
    t = addDuration(t, q.granularity);
    out.push(Math.min(t, q.endMs));
    if (out.length > MAX_BUCKETS + 1)
      throw new QueryError(`granularity splits the interval into more than ${MAX_BUCKETS} parts`);
  }
  return out;
}

/** Index of the bucket holding `ms` (bounds[i] <= ms < bounds[i+1]). */
function bucketOf(bounds: number[], ms: number): number {
  let lo = 0;
  let hi = bounds.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((bounds[mid] as number) <= ms) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

interface Acc {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** When metrics become visible: their own time + lag + the conversation's share of the jitter. */
export interface Visibility {
  nowMs: number;
  lagMs: number;
  /** `analyticsLagJitterMs`; each conversation trails by `lagJitter` times this (default 0). */
  jitterMs?: number;
}

/**
 * Aggregates conversations the way the platform is assumed to (see catalog.ts): each metric counts
 * in the interval and bucket holding its own time (start inclusive, end exclusive), once that
 * time + lag (+ the conversation's jitter) has passed. Empty groups, buckets and metrics are left
 * out; no results at all gives `{}`.
 */
export function aggregate(
  conversations: Iterable<SimConversation>,
  q: AggregatesQuery,
  visibility: Visibility,
): AggregatesResponse {
  const bounds = boundaries(q);
  const groups = new Map<string, { group: Record<string, string>; buckets: Map<number, Acc[]> }>();
  const defs = q.metrics.map((name) => METRICS[name]);
  for (const c of conversations) {
    if (c.endMs < q.startMs || c.startMs >= q.endMs) continue;
    if (q.filter && !matches(q.filter, c)) continue;
    const visibleUntil =
      visibility.nowMs - visibility.lagMs - c.lagJitter * (visibility.jitterMs ?? 0);
    let entry: { group: Record<string, string>; buckets: Map<number, Acc[]> } | undefined;
    defs.forEach((def, i) => {
      if (!def) return;
      const v = def.value(c);
      if (v === undefined) return;
      const t = def.at(c);
      if (t < q.startMs || t >= q.endMs || t > visibleUntil) return;
      if (!entry) {
        const group: Record<string, string> = {};
        for (const dim of q.groupBy) {
          const g = (DIMENSIONS[dim] as (c: SimConversation) => string | undefined)(c);
          if (g !== undefined) group[dim] = g;
        }
        const key = JSON.stringify(group);
        entry = groups.get(key);
        if (!entry) {
          entry = { group, buckets: new Map() };
          groups.set(key, entry);
        }
      }
      const b = bucketOf(bounds, t);
      let accs = entry.buckets.get(b);
      if (!accs) {
        accs = q.metrics.map(() => ({ count: 0, sum: 0, min: Infinity, max: -Infinity }));
        entry.buckets.set(b, accs);
      }
      const acc = accs[i] as Acc;
      acc.count++;
      acc.sum += v;
      acc.min = Math.min(acc.min, v);
      acc.max = Math.max(acc.max, v);
    });
  }

  const results: NonNullable<AggregatesResponse['results']> = [];
  for (const { group, buckets } of groups.values()) {
    const data = [...buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([b, accs]) => ({
        interval: formatInterval(bounds[b] as number, bounds[b + 1] as number),
        metrics: q.metrics.flatMap((metric, i) => {
          const acc = accs[i] as Acc;
          if (acc.count === 0) return [];
          const stats: MetricStats =
            METRICS[metric]?.kind === 'timer'
              ? { max: acc.max, min: acc.min, count: acc.count, sum: acc.sum }
              : { count: acc.count };
          return [{ metric, stats }];
        }),
      }))
      .filter((d) => d.metrics.length > 0);
    if (data.length > 0) results.push({ group, data });
  }
  return results.length > 0 ? { results } : {};
}
