import { describe, expect, it } from 'vitest';
import { measureWindows } from './measure';

describe('measureWindows', () => {
  it('finds the busiest half-open one-second window', () => {
    // 0, 100, 999 fall in [0, 1000); 1000 starts the next one.
    expect(measureWindows([1000, 0, 999, 100, 1500]).maxInAnyWindow).toBe(3);
    expect(measureWindows([0, 1000, 2000, 3000]).maxInAnyWindow).toBe(1);
    expect(measureWindows([5, 5, 5, 5]).maxInAnyWindow).toBe(4);
  });

  it('computes the rate between the first and the last call', () => {
    const ts = Array.from({ length: 41 }, (_, i) => 10_000 + i * 250);
    const m = measureWindows(ts);
    expect(m.ratePerSecond).toBeCloseTo(4, 6);
    expect(m.spanMs).toBe(10_000);
    expect(m.count).toBe(41);
    expect(m.maxInAnyWindow).toBe(4);
  });

  it('handles empty and single lists and custom windows', () => {
    expect(measureWindows([])).toEqual({
      maxInAnyWindow: 0,
      ratePerSecond: 0,
      count: 0,
      spanMs: 0,
    });
    expect(measureWindows([42])).toMatchObject({ maxInAnyWindow: 1, ratePerSecond: 0 });
    expect(measureWindows([0, 400, 800, 1200], 500).maxInAnyWindow).toBe(2);
  });
});
