const WINDOW_MS = 60_000;

export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

/** A sliding 60-second window per key (a token, a client id). */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  take(key: string, limit: number, nowMs: number): TakeResult {
    let list = this.hits.get(key);
    if (!list) {
      list = [];
      this.hits.set(key, list);
    }
    while (list.length > 0 && (list[0] as number) <= nowMs - WINDOW_MS) list.shift();
    if (list.length >= limit) {
      const oldest = list[list.length - limit] as number;
      return { ok: false, retryAfterMs: Math.max(0, oldest + WINDOW_MS - nowMs) };
    }
    list.push(nowMs);
    return { ok: true };
  }

  reset(): void {
    this.hits.clear();
  }
}
