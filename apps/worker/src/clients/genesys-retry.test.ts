import { describe, expect, it } from 'vitest';
import { backoffMs, parseRetryAfter, RETRY_STATUSES, withJitter } from './genesys-retry';

describe('retry policy helpers', () => {
  it('retries only 429, 502, 503, 504', () => {
    expect([...RETRY_STATUSES].sort()).toEqual([429, 502, 503, 504]);
    expect(RETRY_STATUSES.has(500)).toBe(false);
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfter('59')).toBe(59_000);
    expect(parseRetryAfter(' 1.5 ')).toBe(1500);
    expect(parseRetryAfter(['2', '3'])).toBe(2000);
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 00:00:10 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('adds bounded jitter', () => {
    expect(withJitter(3000, () => 0)).toBe(3000);
    expect(withJitter(3000, () => 1)).toBe(3600);
    expect(withJitter(60_000, () => 1)).toBe(61_000);
  });

  it('backs off exponentially with a cap', () => {
    expect(backoffMs(1, 100, 30_000, () => 1)).toBe(100);
    expect(backoffMs(3, 100, 30_000, () => 1)).toBe(400);
    expect(backoffMs(3, 100, 30_000, () => 0)).toBe(200);
    expect(backoffMs(20, 100, 1000, () => 1)).toBe(1000);
  });
});
