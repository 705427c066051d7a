import type { HourlyPoint } from './report';
import type { AggregatesResponse } from './report-builder';

const HOUR_MS = 3_600_000;

/**
 * The most hours a series may span (93 days): far above MAX_WINDOW_DAYS, it only stops a bogus
 * interval from building millions of points.
 */
export const MAX_HOURLY_POINTS = 93 * 24;

/** The hour metrics the series counts (the same `stats.count` extractCounts sums). */
const HOURLY_METRICS = {
  nOutboundAttempted: 'attempted',
  nOutboundConnected: 'connected',
  nOutboundAbandoned: 'abandoned',
} as const;

const floorHour = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
const iso = (ms: number) => new Date(ms).toISOString();

/** `start/end` as epoch ms, or undefined when either is not a time or end is before start. */
function parseInterval(interval: string): { start: number; end: number } | undefined {
  const [a, b, extra] = interval.split('/');
  if (a === undefined || b === undefined || extra !== undefined) return undefined;
  const start = Date.parse(a);
  const end = Date.parse(b);
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) return undefined;
  return { start, end };
}

/**
 * The ISO starts of the UTC hours a `start/end` interval touches, oldest first: from the hour
 * holding `start` to the hour holding the last millisecond before `end` (the end is exclusive, as
 * in an analytics interval). An empty interval touches the hour of its start. Throws a RangeError
 * for an interval that does not parse or spans more than MAX_HOURLY_POINTS hours.
 */
export function windowHours(interval: string): string[] {
  const parsed = parseInterval(interval);
  if (parsed === undefined) throw new RangeError(`not an ISO interval: ${interval}`);
  const first = floorHour(parsed.start);
  const last = floorHour(Math.max(parsed.start, parsed.end - 1));
  const n = (last - first) / HOUR_MS + 1;
  if (n > MAX_HOURLY_POINTS)
    throw new RangeError(`${interval} spans ${n} hours, more than ${MAX_HOURLY_POINTS}`);
  return Array.from({ length: n }, (_, i) => iso(first + i * HOUR_MS));
}

/**
 * `points` over every hour of the window, oldest first: hours missing from `points` are added
 * with zeros; points of the same hour are summed; a point outside the window widens the series to
 * reach it (nothing counted is ever dropped). A point's `hour` is taken to the start of its UTC
 * hour. Throws like windowHours.
 */
export function fillHours(points: readonly HourlyPoint[], interval: string): HourlyPoint[] {
  const byHour = new Map<number, HourlyPoint>();
  for (const hour of windowHours(interval)) {
    const ms = Date.parse(hour);
    byHour.set(ms, { hour, attempted: 0, connected: 0, abandoned: 0 });
  }
  for (const p of points) {
    const at = Date.parse(p.hour);
    if (Number.isNaN(at)) continue;
    const ms = floorHour(at);
    const slot = byHour.get(ms) ?? { hour: iso(ms), attempted: 0, connected: 0, abandoned: 0 };
    slot.attempted += p.attempted;
    slot.connected += p.connected;
    slot.abandoned += p.abandoned;
    byHour.set(ms, slot);
  }
  const hours = [...byHour.keys()].sort((a, b) => a - b);
  const first = hours[0];
  const last = hours[hours.length - 1];
  if (first === undefined || last === undefined) return [];
  if ((last - first) / HOUR_MS + 1 > MAX_HOURLY_POINTS)
    throw new RangeError(`the hourly points span more than ${MAX_HOURLY_POINTS} hours`);
  const out: HourlyPoint[] = [];
  for (let ms = first; ms <= last; ms += HOUR_MS)
    out.push(byHour.get(ms) ?? { hour: iso(ms), attempted: 0, connected: 0, abandoned: 0 });
  return out;
}

const count = (x: number | undefined) => (x !== undefined && Number.isFinite(x) && x > 0 ? x : 0);

/**
 * The report's hourly series from the answer(s) of an aggregates query made with
 * `granularity: 'PT1H'` over `interval` (several answers when the interval was queried in
 * pieces): each `results[].data[]` entry is one bucket, its `interval` the bucket's span;
 * nOutboundAttempted, nOutboundConnected and nOutboundAbandoned `stats.count` are summed per UTC
 * hour over every group of the campaign (as extractCounts picks them: `group.outboundCampaignId`
 * equal to `campaignId`, or no campaign dimension; a `wrapUpCode` grouping is summed back
 * together), then filled with zeros across the window (fillHours).
 *
 * A bucket is counted in the UTC hour its start falls in: exact when the query's interval starts
 * on the hour (Genesys starts the buckets at the interval's start). An entry without an interval
 * (a query made without granularity) has no hour and is left out. So, for a query whose interval
 * starts on the hour, the series sums to the same attempts, connects and abandons as
 * extractCounts of the same answers.
 */
export function hourlySeries(
  responses: AggregatesResponse | readonly AggregatesResponse[],
  campaignId: string,
  interval: string,
): HourlyPoint[] {
  const list: readonly AggregatesResponse[] = Array.isArray(responses)
    ? responses
    : [responses as AggregatesResponse];
  const points: HourlyPoint[] = [];
  for (const resp of list) {
    for (const result of resp.results ?? []) {
      const groupCampaign = result.group?.outboundCampaignId;
      if (groupCampaign !== undefined && groupCampaign !== campaignId) continue;
      for (const entry of result.data ?? []) {
        const start = entry.interval?.split('/')[0];
        if (start === undefined || Number.isNaN(Date.parse(start))) continue;
        const point: HourlyPoint = { hour: start, attempted: 0, connected: 0, abandoned: 0 };
        for (const m of entry.metrics ?? []) {
          const field = HOURLY_METRICS[m.metric as keyof typeof HOURLY_METRICS] as
            (typeof HOURLY_METRICS)[keyof typeof HOURLY_METRICS] | undefined;
          if (field !== undefined) point[field] += count(m.stats?.count);
        }
        points.push(point);
      }
    }
  }
  return fillHours(points, interval);
}
