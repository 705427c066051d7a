/** The Java SDK's policy: only these statuses are retried (plus network errors on idempotent calls). */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * `Retry-After` in milliseconds: delta seconds (`59`, `1.5`) or an HTTP date. Undefined when absent
 * or unreadable (the caller falls back to its default).
 */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** `ms` plus up to 20% (at most 1 s) of random extra, so retries of many callers spread out. */
export const withJitter = (ms: number, random = Math.random) => ms + random() * Math.min(1000, ms * 0.2);

/** Exponential backoff for network errors: base * 2^(attempt-1), capped, with "equal jitter". */
export function backoffMs(attempt: number, baseMs: number, capMs = 30_000, random = Math.random): number {
  const full = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return full / 2 + random() * (full / 2);
}
