import { describe, expect, it } from 'vitest';
import { addDuration, parseDuration, parseInterval } from './analytics/duration';

describe('ISO-8601 durations and intervals', () => {
  it('parses the granularities the API uses', () => {
    expect(parseDuration('PT15M')).toMatchObject({ minutes: 15, hours: 0 });
    expect(parseDuration('PT1H')).toMatchObject({ hours: 1 });
    expect(parseDuration('P1D')).toMatchObject({ days: 1 });
    expect(parseDuration('P1W')).toMatchObject({ weeks: 1 });
    expect(parseDuration('P1M')).toMatchObject({ months: 1 });
    for (const bad of ['', 'P', 'PT', 'PT0M', '15M', 'P1H', 'PT1.5'])
      expect(parseDuration(bad), bad).toBeUndefined();
  });

  it('adds durations in UTC, calendar-aware for months', () => {
    const t = Date.parse('2025-01-31T00:00:00Z');
    expect(new Date(addDuration(t, parseDuration('PT15M')!)).toISOString()).toBe(
      '2025-01-31T00:15:00.000Z',
    );
    expect(new Date(addDuration(t, parseDuration('P1D')!)).toISOString()).toBe(
      '2025-02-01T00:00:00.000Z',
    );
    expect(
      new Date(
        addDuration(Date.parse('2025-01-01T00:00:00Z'), parseDuration('P1M')!),
      ).toISOString(),
    ).toBe('2025-02-01T00:00:00.000Z');
  });

  it('parses intervals with zones only', () => {
    expect(parseInterval('2023-10-27T13:25:00.000Z/2023-10-27T14:35:00.000Z')).toEqual({
      startMs: Date.parse('2023-10-27T13:25:00.000Z'),
      endMs: Date.parse('2023-10-27T14:35:00.000Z'),
    });
    expect(parseInterval('2023-10-27T15:25:00+02:00/2023-10-27T14:35:00Z')?.startMs).toBe(
      Date.parse('2023-10-27T13:25:00Z'),
    );
    expect(parseInterval('2023-10-27T13:25:00/2023-10-27T14:35:00')).toBeUndefined();
    expect(parseInterval('2023-10-27T13:25:00Z')).toBeUndefined();
  });
});
