import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryDelay, type RetryState } from './retry';

const timing = { defaultRetryAfterMs: 3000, retryBaseMs: 100 };
const answer = (s: Partial<RetryState> = {}): RetryState => ({
  attemptCount: 1,
  computedValue: 1000,
  answered: true,
  remainingMs: 60_000,
  ...s,
});
const networkError = (attemptCount: number, s: Partial<RetryState> = {}) =>
  answer({ attemptCount, answered: false, ...s });

describe('retryDelay (got calculateDelay)', () => {
  it('gives up when got says no: wrong status or method, or Retry-After above maxRetryAfter', () => {
    expect(retryDelay(answer({ computedValue: 0, retryAfter: 5000 }), timing, () => 0)).toBe(0);
    expect(retryDelay(networkError(1, { computedValue: 0 }), timing, () => 0)).toBe(0);
  });

  it('waits Retry-After, or 3 s by default, plus up to 20% (at most 1 s) of jitter', () => {
    expect(retryDelay(answer({ retryAfter: 1000 }), timing, () => 0)).toBe(1000);
    expect(retryDelay(answer({ retryAfter: 1000 }), timing, () => 1)).toBe(1200);
    expect(retryDelay(answer({ retryAfter: 60_000, remainingMs: 1e9 }), timing, () => 1)).toBe(
      61_000,
    );
    expect(retryDelay(answer(), timing, () => 0)).toBe(3000);
    expect(retryDelay(answer(), timing, () => 1)).toBe(3600);
    expect(retryDelay(answer({ retryAfter: 0 }), timing, () => 0)).toBe(1); // 0 would mean "give up"
  });

  it('backs off exponentially from retryBaseMs after a network error, with equal jitter and a 30 s cap', () => {
    expect(retryDelay(networkError(1), timing, () => 1)).toBe(100);
    expect(retryDelay(networkError(3), timing, () => 1)).toBe(400);
    expect(retryDelay(networkError(3), timing, () => 0)).toBe(200);
    expect(retryDelay(networkError(20, { remainingMs: 1e9 }), timing, () => 1)).toBe(30_000);
  });

  it('gives up when the wait would outlast the remaining time budget', () => {
    expect(retryDelay(answer({ retryAfter: 1000, remainingMs: 1000 }), timing, () => 0)).toBe(1000);
    expect(retryDelay(answer({ retryAfter: 1000, remainingMs: 999 }), timing, () => 0)).toBe(0);
    expect(retryDelay(answer({ remainingMs: 3500 }), timing, () => 1)).toBe(0);
    expect(retryDelay(networkError(3, { remainingMs: 300 }), timing, () => 1)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('59')).toBe(59_000);
    expect(parseRetryAfter(' 1.5 ')).toBe(1500);
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 00:00:10 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
