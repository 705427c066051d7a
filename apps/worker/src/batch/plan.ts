import {
  CAMPAIGN_METRICS,
  extractCounts,
  hourlySeries,
  type AggregatesResponse,
  type AnalyticsCounts,
  type HourlyPoint,
} from '@wrapup/shared';
import {
  campaignAggregatesQuery,
  MAX_QUERY_DAYS,
  type AggregatesQuery,
} from '../clients/genesys/analytics';

/**
 * Planning one batch of aggregates checks: many runs' (campaign, window) pairs answered by as few
 * `POST /api/v2/analytics/conversations/aggregates/query` calls as the API's limits allow, each run
 * still getting exactly the counts of its own window.
 *
 * How a run keeps its window inside a shared query:
 * - runs whose windows are identical share a query over that window, filtered to their campaigns
 *   (an `or` clause of `outboundCampaignId` predicates) and grouped by `outboundCampaignId`, so each
 *   campaign's groups are its own; several runs of one campaign with the same window share a group;
 * - runs whose windows differ share a query over the union of their windows with a `granularity`
 *   that divides every window edge's distance from the union's start, so every window is a whole
 *   number of buckets; each run sums the buckets inside its window. A metric counts in the bucket
 *   holding its own timestamp (platform-facts), so the buckets inside a window hold exactly what a
 *   query over that window holds. Windows are aligned to whole minutes (ANALYTICS_BATCH) so such a
 *   granularity exists; when the buckets would be too many (or the union too long) the runs are
 *   grouped by identical window instead.
 */

export interface BatchLimits {
  /** Predicates per filter, counted over the filter and its clauses (unverified: 100 assumed). */
  maxPredicates: number;
  /** The longest interval one query may span, in days (the worker's 7-day pieces). */
  maxIntervalDays: number;
  /** The most granularity buckets one query may ask for (a bound of ours on the answer's size). */
  maxBuckets: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = {
  maxPredicates: 100,
  maxIntervalDays: MAX_QUERY_DAYS,
  maxBuckets: 1440,
};

/** Granularities are whole minutes (`PTnM`); the smallest granularity the API allows is unverified. */
export const GRANULARITY_STEP_MS = 60_000;

export interface WindowEntry {
  campaignId: string;
  /** `start/end`, ISO UTC. */
  interval: string;
}

export interface PlannedQuery {
  body: AggregatesQuery;
  /** Indexes (into the planned entries) this query answers. */
  members: number[];
  /** Whether the answer is bucketed (each member sums only the buckets inside its window). */
  bucketed: boolean;
}

interface Parsed {
  index: number;
  campaignId: string;
  startMs: number;
  endMs: number;
}

export function parseInterval(interval: string): { startMs: number; endMs: number } {
  const [a, b, ...rest] = interval.split('/');
  const startMs = Date.parse(a ?? '');
  const endMs = Date.parse(b ?? '');
  if (rest.length > 0 || !Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs <= startMs)
    throw new RangeError(`not a start/end interval: ${JSON.stringify(interval)}`);
  return { startMs, endMs };
}

const iso = (ms: number) => new Date(ms).toISOString();
const DAY = 86_400_000;

/**
 * The interval widened to whole minutes: start floored, end ceiled (at most a minute more on each
 * side, inside the QUERY_BUFFER_MINUTES pad's purpose). Already-aligned intervals are unchanged.
 */
export function alignInterval(interval: string, stepMs = GRANULARITY_STEP_MS): string {
  const { startMs, endMs } = parseInterval(interval);
  const start = Math.floor(startMs / stepMs) * stepMs;
  const end = Math.ceil(endMs / stepMs) * stepMs;
  return `${iso(start)}/${iso(end)}`;
}

/** Whether one query may cover the interval (the run then joins a batch; else it goes alone). */
export function batchable(interval: string, limits: BatchLimits = DEFAULT_BATCH_LIMITS): boolean {
  const { startMs, endMs } = parseInterval(interval);
  return endMs - startMs <= limits.maxIntervalDays * DAY;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The granularity (ms) that makes every window a whole number of buckets of a query starting at
 * the earliest start, or undefined when there is none within the limits.
 */
function sharedGranularity(group: Parsed[], limits: BatchLimits): number | undefined {
  const start = Math.min(...group.map((e) => e.startMs));
  const end = Math.max(...group.map((e) => e.endMs));
  if (end - start > limits.maxIntervalDays * DAY) return undefined;
  let g = 0;
  for (const e of group) g = gcd(gcd(g, e.startMs - start), e.endMs - start);
  if (g <= 0 || g % GRANULARITY_STEP_MS !== 0) return undefined;
  if ((end - start) / g > limits.maxBuckets) return undefined;
  // Finer still when the bucket count allows: buckets that divide the hour and start on a
  // boundary of their size never straddle a clock hour, so the same answer also gives the report's
  // hourly series (one bar per UTC hour) at no extra call. Still a divisor of g: every window
  // stays a whole number of buckets.
  const hourly = gcd(gcd(g, HOUR), start % HOUR);
  if (hourly % GRANULARITY_STEP_MS === 0 && (end - start) / hourly <= limits.maxBuckets)
    return hourly;
  return g;
}

const HOUR = 3_600_000;

/** `PTnM` for a whole number of minutes. */
const isoMinutes = (ms: number) => `PT${ms / 60_000}M`;

/** One query for `campaignIds` over `interval` (the single-run query when there is one campaign). */
export function batchQuery(
  campaignIds: readonly string[],
  interval: string,
  granularityMs?: number,
): AggregatesQuery {
  const base =
    campaignIds.length === 1
      ? campaignAggregatesQuery(campaignIds[0] as string, interval)
      : {
          interval,
          groupBy: ['outboundCampaignId', 'wrapUpCode'],
          filter: {
            type: 'and' as const,
            predicates: [
              {
                type: 'dimension' as const,
                dimension: 'mediaType',
                operator: 'matches' as const,
                value: 'voice',
              },
            ],
            clauses: [
              {
                type: 'or' as const,
                predicates: campaignIds.map((id) => ({
                  type: 'dimension' as const,
                  dimension: 'outboundCampaignId',
                  operator: 'matches' as const,
                  value: id,
                })),
              },
            ],
          },
          metrics: [...CAMPAIGN_METRICS],
        };
  return granularityMs === undefined ? base : { ...base, granularity: isoMinutes(granularityMs) };
}

/** Campaigns per query: the `mediaType` predicate plus one per campaign within maxPredicates. */
const campaignsPerQuery = (limits: BatchLimits) => Math.max(1, limits.maxPredicates - 1);

/** Queries for one family of entries sharing an interval (and granularity, when bucketed). */
function familyQueries(
  family: Parsed[],
  interval: string,
  granularityMs: number | undefined,
  limits: BatchLimits,
): PlannedQuery[] {
  const byCampaign = new Map<string, number[]>();
  for (const e of family) {
    const list = byCampaign.get(e.campaignId) ?? [];
    list.push(e.index);
    byCampaign.set(e.campaignId, list);
  }
  const ids = [...byCampaign.keys()].sort();
  const per = campaignsPerQuery(limits);
  const out: PlannedQuery[] = [];
  for (let i = 0; i < ids.length; i += per) {
    const chunk = ids.slice(i, i + per);
    out.push({
      body: batchQuery(chunk, interval, granularityMs),
      members: chunk.flatMap((id) => byCampaign.get(id) ?? []),
      bucketed: granularityMs !== undefined,
    });
  }
  return out;
}

/**
 * The queries that answer every entry, within the limits. Entries longer than maxIntervalDays
 * are not planned (see `batchable`): the caller queries them alone, in 7-day pieces.
 */
export function planBatch(
  entries: readonly WindowEntry[],
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): PlannedQuery[] {
  const parsed: Parsed[] = entries.map((e, index) => ({
    index,
    campaignId: e.campaignId,
    ...parseInterval(e.interval),
  }));
  if (parsed.length === 0) return [];
  const windows = new Map<string, Parsed[]>();
  for (const e of parsed) {
    const key = `${e.startMs}/${e.endMs}`;
    windows.set(key, [...(windows.get(key) ?? []), e]);
  }
  if (windows.size === 1) {
    // one window: buckets only when they can fit the hours (for the hourly series); the counts
    // are the same either way
    const [first] = parsed as [Parsed];
    const g = sharedGranularity(parsed, limits);
    const bucketed = g !== undefined && g <= HOUR ? g : undefined;
    return familyQueries(parsed, `${iso(first.startMs)}/${iso(first.endMs)}`, bucketed, limits);
  }
  const g = sharedGranularity(parsed, limits);
  if (g !== undefined) {
    const start = Math.min(...parsed.map((e) => e.startMs));
    const end = Math.max(...parsed.map((e) => e.endMs));
    return familyQueries(parsed, `${iso(start)}/${iso(end)}`, g, limits);
  }
  // No granularity for all: the whole-minute windows may still share one (those of runs whose
  // interval could not be widened are what breaks it); the rest go one family per distinct window.
  const aligned = parsed.filter(
    (e) => e.startMs % GRANULARITY_STEP_MS === 0 && e.endMs % GRANULARITY_STEP_MS === 0,
  );
  const alignedWindows = new Set(aligned.map((e) => `${e.startMs}/${e.endMs}`));
  const ga = alignedWindows.size > 1 ? sharedGranularity(aligned, limits) : undefined;
  const out: PlannedQuery[] = [];
  if (ga !== undefined) {
    const start = Math.min(...aligned.map((e) => e.startMs));
    const end = Math.max(...aligned.map((e) => e.endMs));
    out.push(...familyQueries(aligned, `${iso(start)}/${iso(end)}`, ga, limits));
  }
  for (const [key, group] of windows) {
    if (ga !== undefined && alignedWindows.has(key)) continue;
    const [first] = group as [Parsed];
    out.push(
      ...familyQueries(group, `${iso(first.startMs)}/${iso(first.endMs)}`, undefined, limits),
    );
  }
  return out;
}

type AggregatesResult = NonNullable<AggregatesResponse['results']>[number];
type Span = { startMs: number; endMs: number };

/**
 * One aggregates answer read once for all the runs it answers: each campaign's results (in the
 * answer's order, with those that carry no campaign dimension, as extractCounts counts them) and
 * each bucket's interval parsed once. A batched answer holds up to 99 campaigns' buckets; reading
 * the whole answer again for every run made a batch's cost grow with the square of its size.
 */
export class IndexedAnswer {
  private readonly byCampaign = new Map<string, AggregatesResult[]>();
  private readonly shared: AggregatesResult[] = [];
  private readonly spans = new Map<string, Span>();

  constructor(readonly resp: AggregatesResponse) {
    for (const r of resp.results ?? []) {
      const id = r.group?.outboundCampaignId;
      if (id === undefined) {
        this.shared.push(r);
        // a result without a campaign belongs to every campaign, in the answer's order
        for (const list of this.byCampaign.values()) list.push(r);
        continue;
      }
      if (typeof id !== 'string') continue; // no campaign's (extractCounts skips it too)
      let list = this.byCampaign.get(id);
      if (!list) this.byCampaign.set(id, (list = [...this.shared]));
      list.push(r);
    }
  }

  /** The answer as it reads for one campaign (what extractCounts would pick of the whole). */
  results(campaignId: string): AggregatesResult[] {
    return this.byCampaign.get(campaignId) ?? this.shared;
  }

  /** A bucket's `start/end`, parsed once per answer (every campaign's buckets share them). */
  span(interval: string): Span {
    let s = this.spans.get(interval);
    if (!s) this.spans.set(interval, (s = parseInterval(interval)));
    return s;
  }
}

const indexed = (resp: AggregatesResponse | IndexedAnswer) =>
  resp instanceof IndexedAnswer ? resp : new IndexedAnswer(resp);

/**
 * One entry's hourly series from a bucketed answer: its campaign's buckets inside its window, when
 * every one of them lies within one UTC hour (else undefined: the buckets cannot say which hour a
 * metric belongs to). Only the entry's own campaign's buckets (and those of no campaign) decide:
 * the series is what a query of that campaign alone would give.
 */
export function entryHourly(
  answer: AggregatesResponse | IndexedAnswer,
  entry: WindowEntry,
): HourlyPoint[] | undefined {
  const idx = indexed(answer);
  const { startMs, endMs } = parseInterval(entry.interval);
  const results = [];
  for (const r of idx.results(entry.campaignId)) {
    const data = [];
    for (const d of r.data ?? []) {
      if (d.interval === undefined) return undefined;
      const b = idx.span(d.interval);
      if (b.startMs < startMs || b.endMs > endMs) continue;
      if (Math.floor(b.startMs / HOUR) !== Math.floor((b.endMs - 1) / HOUR)) return undefined;
      data.push(d);
    }
    results.push({ ...r, data });
  }
  try {
    return hourlySeries({ ...idx.resp, results }, entry.campaignId, entry.interval);
  } catch {
    return undefined; // a window too long for a series
  }
}

/**
 * One entry's counts from a (batched) answer: its campaign's groups and, when the answer is
 * bucketed, only the buckets that lie inside the entry's window.
 */
export function entryCounts(
  answer: AggregatesResponse | IndexedAnswer,
  entry: WindowEntry,
  bucketed: boolean,
): AnalyticsCounts {
  const idx = indexed(answer);
  const own = idx.results(entry.campaignId);
  if (!bucketed) return extractCounts({ ...idx.resp, results: own }, entry.campaignId);
  const { startMs, endMs } = parseInterval(entry.interval);
  const inside = (interval: string | undefined) => {
    if (interval === undefined) return false;
    const b = idx.span(interval);
    return b.startMs >= startMs && b.endMs <= endMs;
  };
  const results = own.map((r) => ({
    ...r,
    data: (r.data ?? []).filter((d) => inside(d.interval)),
  }));
  return extractCounts({ ...idx.resp, results }, entry.campaignId);
}
