export interface WindowMeasure {
  /** Largest number of timestamps in any half-open window [t, t + windowMs). */
  maxInAnyWindow: number;
  /** (count - 1) / span: the average rate between the first and the last timestamp, per second. */
  ratePerSecond: number;
  count: number;
  /** Last minus first timestamp, ms. */
  spanMs: number;
}

/**
 * Checks a list of call start times (ms, any order) against a sliding-window limit: the busiest
 * window of `windowMs` (default 1000) and the achieved rate. Every window position is covered,
 * because the busiest window can always be slid to start at a timestamp.
 */
export function measureWindows(timestamps: readonly number[], windowMs = 1000): WindowMeasure {
  const sorted = [...timestamps].sort((a, b) => a - b);
  const count = sorted.length;
  if (count === 0) return { maxInAnyWindow: 0, ratePerSecond: 0, count: 0, spanMs: 0 };
  let maxInAnyWindow = 0;
  let end = 0;
  for (let start = 0; start < count; start++) {
    const limit = sorted[start]! + windowMs;
    while (end < count && sorted[end]! < limit) end++;
    maxInAnyWindow = Math.max(maxInAnyWindow, end - start);
  }
  const spanMs = sorted[count - 1]! - sorted[0]!;
  const ratePerSecond = spanMs > 0 ? ((count - 1) * 1000) / spanMs : 0;
  return { maxInAnyWindow, ratePerSecond, count, spanMs };
}
