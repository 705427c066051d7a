/** The Java SDK's policy: only these statuses are retried (plus network errors and timeouts). */
export const RETRY_STATUSES = [429, 502, 503, 504];

/** `Retry-After` in ms: delta seconds (`59`, `1.5`) or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number | undefined {
  if (!header?.trim()) return undefined;
  const ms = /^\s*\d+(\.\d+)?\s*$/.test(header) ? Number(header) * 1000 : Date.parse(header) - now;
  return Number.isNaN(ms) ? undefined : Math.max(0, Math.round(ms));
}

export interface RetryTiming {
  /** Wait when a retryable answer carries no Retry-After. */
  defaultRetryAfterMs: number;
  /** First backoff for network errors and timeouts (doubled each time, at most 30 s). */
  retryBaseMs: number;
}

export interface RetryState {
  /** got's: 1 after the first attempt failed. */
  attemptCount: number;
  /** got's own verdict: 0 when its rules say no (limit, method, status, error code, Retry-After above maxRetryAfter). */
  computedValue: number;
  /** got's reading of the Retry-After header, in ms. */
  retryAfter?: number | undefined;
  /** True for an answer (429/502/503/504), false for a network error or timeout. */
  answered: boolean;
  /** What is left of the call's time budget. */
  remainingMs: number;
}

/**
 * got's `retry.calculateDelay` as a pure function. An answer waits its Retry-After (default when
 * absent) plus up to 20% (at most 1 s); a network error backs off exponentially with "equal
 * jitter". 0 (give up) when got says no or the wait would outlast the remaining budget.
 */
export function retryDelay(s: RetryState, timing: RetryTiming, random = Math.random): number {
  if (s.computedValue === 0) return 0;
  let delay: number;
  if (s.answered) {
    const wait = s.retryAfter ?? timing.defaultRetryAfterMs;
    delay = wait + random() * Math.min(1000, wait * 0.2);
  } else {
    const full = Math.min(30_000, timing.retryBaseMs * 2 ** (s.attemptCount - 1));
    delay = full / 2 + random() * (full / 2);
  }
  return delay > s.remainingMs ? 0 : Math.max(1, delay);
}
