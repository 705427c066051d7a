import { describe, expect, it } from 'vitest';
import { analyticsInterval, splitInterval, toUtcIso, wallTimeToUtc, zoneOffsetMs } from './time';

describe('toUtcIso: explicit zones', () => {
  it.each([
    ['2023-10-27T14:30:00Z', '2023-10-27T14:30:00.000Z'],
    ['2023-10-27T14:30:00z', '2023-10-27T14:30:00.000Z'],
    ['2023-10-27T14:30:00.123Z', '2023-10-27T14:30:00.123Z'],
    ['2023-10-27T14:30:00.1Z', '2023-10-27T14:30:00.100Z'],
    ['2023-10-27T14:30:00.123456789Z', '2023-10-27T14:30:00.123Z'],
    ['2023-10-27T14:30Z', '2023-10-27T14:30:00.000Z'],
    ['2023-10-27T14:30:00+02:00', '2023-10-27T12:30:00.000Z'],
    ['2023-10-27T14:30:00+0200', '2023-10-27T12:30:00.000Z'],
    ['2023-10-27T14:30:00+02', '2023-10-27T12:30:00.000Z'],
    ['2023-10-27T01:30:00+05:30', '2023-10-26T20:00:00.000Z'],
    ['2023-10-27T22:30:00-04:00', '2023-10-28T02:30:00.000Z'],
    ['2023-10-27 14:30:00Z', '2023-10-27T14:30:00.000Z'],
    ['  2023-10-27T14:30:00Z  ', '2023-10-27T14:30:00.000Z'],
  ])('%s -> %s (zone setting ignored)', (input, expected) => {
    expect(toUtcIso(input, 'Europe/Berlin')).toBe(expected);
    expect(toUtcIso(input, 'America/New_York')).toBe(expected);
  });

  it('accepts epoch milliseconds as a number or a 13-digit string', () => {
    expect(toUtcIso(1698417000000, 'UTC')).toBe('2023-10-27T14:30:00.000Z');
    expect(toUtcIso('1698417000000', 'Europe/Berlin')).toBe('2023-10-27T14:30:00.000Z');
  });

  it.each([
    '',
    'yesterday',
    '2023-10-27',
    '2023-13-01T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2023-04-31T00:00:00Z',
    '2023-10-27T24:00:00Z',
    '2023-10-27T23:60:00Z',
    '2023-10-27T23:59:60Z',
    '2023-10-27T14:30:00+25:00',
    '2023-10-27T14:30:00 PST',
    '1698417000', // epoch seconds: ambiguous, refused
    'Fri, 27 Oct 2023 14:30:00 GMT',
  ])('refuses %j', (input) => {
    expect(toUtcIso(input, 'UTC')).toBeUndefined();
  });

  it('accepts 29 February in a leap year', () => {
    expect(toUtcIso('2024-02-29T12:00:00Z', 'UTC')).toBe('2024-02-29T12:00:00.000Z');
  });

  it('refuses negative or absurd epoch numbers', () => {
    expect(toUtcIso(-1, 'UTC')).toBeUndefined();
    expect(toUtcIso(Number.NaN, 'UTC')).toBeUndefined();
    expect(toUtcIso(Number.POSITIVE_INFINITY, 'UTC')).toBeUndefined();
  });

  it('writes epoch numbers past the year 9999 with an expanded year that Date.parse reads back', () => {
    expect(toUtcIso(253_402_300_799_999, 'UTC')).toBe('9999-12-31T23:59:59.999Z');
    for (const [ms, text] of [
      [253_402_300_800_000, '+010000-01-01T00:00:00.000Z'],
      [1_698_417_000_000_000, '+055790-09-10T04:00:00.000Z'], // epoch microseconds
      [8.64e15, '+275760-09-13T00:00:00.000Z'], // the last instant a Date holds
    ] as const) {
      expect(toUtcIso(ms, 'UTC')).toBe(text);
      expect(Date.parse(text)).toBe(ms);
    }
    expect(toUtcIso(8.64e15 + 1, 'UTC')).toBeUndefined();
  });
});

describe('toUtcIso: naive times in EVENT_TIMEZONE', () => {
  it('reads a naive time in UTC when the zone is UTC', () => {
    expect(toUtcIso('2023-10-27T14:30:00', 'UTC')).toBe('2023-10-27T14:30:00.000Z');
  });

  it.each([
    // Berlin winter (+01:00) and summer (+02:00)
    ['2024-01-15T10:00:00', 'Europe/Berlin', '2024-01-15T09:00:00.000Z'],
    ['2024-07-15 10:00:00', 'Europe/Berlin', '2024-07-15T08:00:00.000Z'],
    ['2024-07-15T10:00:00.250', 'Europe/Berlin', '2024-07-15T08:00:00.250Z'],
    ['2024-07-15T10:00', 'Europe/Berlin', '2024-07-15T08:00:00.000Z'],
    // crossing midnight into the previous UTC day
    ['2024-07-16T01:00:00', 'Europe/Berlin', '2024-07-15T23:00:00.000Z'],
    // west of UTC, into the next UTC day
    ['2024-07-15T22:00:00', 'America/New_York', '2024-07-16T02:00:00.000Z'],
    // half-hour zone without DST
    ['2024-07-15T10:00:00', 'Asia/Kolkata', '2024-07-15T04:30:00.000Z'],
    // southern hemisphere: summer in January
    ['2024-01-15T10:00:00', 'Australia/Sydney', '2024-01-14T23:00:00.000Z'],
    ['2024-07-15T10:00:00', 'Australia/Sydney', '2024-07-15T00:00:00.000Z'],
    // DST (Temporal "compatible": gap -> pushed forward, overlap -> earlier instant)
    // Europe/Berlin springs forward 2024-03-31 02:00 CET -> 03:00 CEST
    ['2024-03-31T01:59:59.999', 'Europe/Berlin', '2024-03-31T00:59:59.999Z'],
    ['2024-03-31T02:00:00', 'Europe/Berlin', '2024-03-31T01:00:00.000Z'], // gap: = 03:00 CEST
    ['2024-03-31T02:30:00', 'Europe/Berlin', '2024-03-31T01:30:00.000Z'], // gap: = 03:30 CEST
    ['2024-03-31T03:00:00', 'Europe/Berlin', '2024-03-31T01:00:00.000Z'],
    ['2024-03-31T03:30:00', 'Europe/Berlin', '2024-03-31T01:30:00.000Z'],
    // Europe/Berlin falls back 2024-10-27 03:00 CEST -> 02:00 CET; 02:00-02:59 happen twice
    ['2024-10-27T01:59:59', 'Europe/Berlin', '2024-10-26T23:59:59.000Z'],
    ['2024-10-27T02:00:00', 'Europe/Berlin', '2024-10-27T00:00:00.000Z'], // earlier (CEST)
    ['2024-10-27T02:30:00', 'Europe/Berlin', '2024-10-27T00:30:00.000Z'], // earlier (CEST)
    ['2024-10-27T02:59:59', 'Europe/Berlin', '2024-10-27T00:59:59.000Z'],
    ['2024-10-27T03:00:00', 'Europe/Berlin', '2024-10-27T02:00:00.000Z'],
    // America/New_York: 2024-03-10 02:00 EST -> 03:00 EDT; 2024-11-03 02:00 EDT -> 01:00 EST
    ['2024-03-10T02:30:00', 'America/New_York', '2024-03-10T07:30:00.000Z'], // = 03:30 EDT
    ['2024-11-03T01:30:00', 'America/New_York', '2024-11-03T05:30:00.000Z'], // earlier (EDT)
    ['2024-11-03T02:30:00', 'America/New_York', '2024-11-03T07:30:00.000Z'],
    // Australia/Sydney: 2024-10-06 02:00 AEST -> 03:00 AEDT; 2024-04-07 03:00 AEDT -> 02:00 AEST
    ['2024-10-06T02:30:00', 'Australia/Sydney', '2024-10-05T16:30:00.000Z'],
    ['2024-04-07T02:30:00', 'Australia/Sydney', '2024-04-06T15:30:00.000Z'],
    // Australia/Lord_Howe moves by 30 minutes: 2024-10-06 02:00 +10:30 -> 02:30 +11:00
    ['2024-10-06T02:15:00', 'Australia/Lord_Howe', '2024-10-05T15:45:00.000Z'],
  ])('%s in %s -> %s', (input, zone, expected) => {
    expect(toUtcIso(input, zone)).toBe(expected);
  });

  it('returns undefined for an unknown zone instead of throwing', () => {
    expect(toUtcIso('2024-07-15T10:00:00', 'Mars/Olympus')).toBeUndefined();
    // an explicit offset does not need the zone
    expect(toUtcIso('2024-07-15T10:00:00Z', 'Mars/Olympus')).toBe('2024-07-15T10:00:00.000Z');
  });
});

describe('zone helpers', () => {
  it('zoneOffsetMs gives the offset at an instant', () => {
    expect(zoneOffsetMs(Date.UTC(2024, 0, 1), 'Europe/Berlin')).toBe(3_600_000);
    expect(zoneOffsetMs(Date.UTC(2024, 6, 1), 'Europe/Berlin')).toBe(7_200_000);
    expect(zoneOffsetMs(Date.UTC(2024, 6, 1), 'America/New_York')).toBe(-4 * 3_600_000);
    expect(zoneOffsetMs(Date.UTC(2024, 6, 1, 0, 0, 0, 999), 'UTC')).toBe(0);
    // exactly at local midnight (ICU may print hour 24)
    expect(zoneOffsetMs(Date.UTC(2024, 6, 14, 22), 'Europe/Berlin')).toBe(7_200_000);
  });

  it('wallTimeToUtc round-trips every quarter hour of a DST day', () => {
    for (const zone of ['Europe/Berlin', 'America/New_York']) {
      for (let q = 0; q < 96; q += 1) {
        const wall = Date.UTC(2024, 9, 27, 0, q * 15);
        const utc = wallTimeToUtc(wall, zone);
        expect(utc + zoneOffsetMs(utc, zone), `${zone} ${q}`).toBe(wall);
      }
    }
  });
});

describe('analyticsInterval', () => {
  const base = { bufferMinutes: 5, defaultLookbackHours: 24 };

  it('uses the duration and widens both ends by the buffer (the guide example)', () => {
    expect(
      analyticsInterval({ ...base, occurredAt: '2023-10-27T14:30:00.000Z', durationSeconds: 3600 }),
    ).toEqual({
      start: '2023-10-27T13:25:00.000Z',
      end: '2023-10-27T14:35:00.000Z',
      interval: '2023-10-27T13:25:00.000Z/2023-10-27T14:35:00.000Z',
      startFrom: 'duration',
      endFrom: 'tail',
    });
  });

  it('reaches the tail past the finish so late after-call work is counted', () => {
    const r = analyticsInterval({
      ...base,
      occurredAt: '2023-10-27T14:30:00Z',
      durationSeconds: 3600,
      tailMinutes: 30,
    });
    expect(r.end).toBe('2023-10-27T15:00:00.000Z');
    expect(r.endFrom).toBe('tail');
    // a tail shorter than the buffer leaves the buffer
    expect(
      analyticsInterval({ ...base, occurredAt: '2023-10-27T14:30:00Z', tailMinutes: 2 }).end,
    ).toBe('2023-10-27T14:35:00.000Z');
  });

  it('never reaches past a resume of the campaign after a stop', () => {
    const r = analyticsInterval({
      ...base,
      occurredAt: '2023-10-27T14:30:00Z',
      startedAt: '2023-10-27T09:00:00Z',
      tailMinutes: 30,
      resumedAt: '2023-10-27T14:40:00Z',
    });
    expect(r.interval).toBe('2023-10-27T08:55:00.000Z/2023-10-27T14:40:00.000Z');
    expect([r.startFrom, r.endFrom]).toEqual(['first-start', 'resumed']);
    // a resume before the stop (an older on) or after the tail changes nothing
    for (const resumedAt of ['2023-10-27T14:00:00Z', '2023-10-27T16:00:00Z']) {
      expect(
        analyticsInterval({
          ...base,
          occurredAt: '2023-10-27T14:30:00Z',
          tailMinutes: 30,
          resumedAt,
        }).end,
      ).toBe('2023-10-27T15:00:00.000Z');
    }
  });

  it.each([
    [
      'crosses midnight and month ends in UTC',
      { occurredAt: '2024-03-01T00:10:00Z', durationSeconds: 7200 },
      { interval: '2024-02-29T22:05:00.000Z/2024-03-01T00:15:00.000Z' },
    ],
    [
      // 2024-03-31 01:30Z is just after Berlin switched to summer time; 3 h earlier is before it
      'is not bent by DST: intervals are plain UTC arithmetic',
      { bufferMinutes: 0, occurredAt: '2024-03-31T01:30:00Z', durationSeconds: 3 * 3600 },
      { interval: '2024-03-30T22:30:00.000Z/2024-03-31T01:30:00.000Z' },
    ],
    [
      'keeps fractional seconds of duration to the millisecond',
      { bufferMinutes: 0, occurredAt: '2023-10-27T14:30:00Z', durationSeconds: 1.5 },
      { start: '2023-10-27T14:29:58.500Z' },
    ],
    [
      'uses startedAt when there is no duration',
      { occurredAt: '2023-10-27T14:30:00Z', startedAt: '2023-10-27T09:00:00.000Z' },
      { interval: '2023-10-27T08:55:00.000Z/2023-10-27T14:35:00.000Z' },
    ],
    [
      'prefers the duration over startedAt',
      {
        occurredAt: '2023-10-27T14:30:00Z',
        durationSeconds: 600,
        startedAt: '2023-10-27T09:00:00Z',
      },
      { start: '2023-10-27T14:15:00.000Z' },
    ],
    [
      'with zero buffer and zero duration is the single instant',
      { bufferMinutes: 0, occurredAt: '2023-10-27T14:30:00Z', durationSeconds: 0 },
      { interval: '2023-10-27T14:30:00.000Z/2023-10-27T14:30:00.000Z' },
    ],
    [
      'clamps a start after occurredAt',
      { occurredAt: '2023-10-27T14:30:00Z', startedAt: '2023-10-27T15:00:00Z' },
      { start: '2023-10-27T14:25:00.000Z' },
    ],
  ])('%s', (_name, at, expected) => {
    expect(analyticsInterval({ ...base, ...at })).toMatchObject(expected);
  });

  it('falls back to the default lookback', () => {
    const r = analyticsInterval({ ...base, occurredAt: '2023-10-27T14:30:00Z' });
    expect(r.interval).toBe('2023-10-26T14:25:00.000Z/2023-10-27T14:35:00.000Z');
    expect(r.startFrom).toBe('lookback');
    const half = analyticsInterval({
      bufferMinutes: 0,
      defaultLookbackHours: 0.5,
      occurredAt: '2023-10-27T14:30:00Z',
    });
    expect(half.start).toBe('2023-10-27T14:00:00.000Z');
  });

  it('throws on an invalid occurredAt or startedAt', () => {
    expect(() => analyticsInterval({ ...base, occurredAt: 'nope' })).toThrow(RangeError);
    expect(() =>
      analyticsInterval({ ...base, occurredAt: '2023-10-27T14:30:00Z', startedAt: 'x' }),
    ).toThrow(/startedAt/);
  });

  it('clamps a start more than maxWindowDays before the end, and says so', () => {
    const at = { ...base, occurredAt: '2023-10-27T14:30:00Z', maxWindowDays: 31 };
    // end = 14:35 (the buffer); 31 days before it
    const clamped = {
      start: '2023-09-26T14:35:00.000Z',
      end: '2023-10-27T14:35:00.000Z',
      startFrom: 'clamped',
    };
    expect(analyticsInterval({ ...at, durationSeconds: 1.7e9 })).toMatchObject(clamped);
    expect(analyticsInterval({ ...at, durationSeconds: 1e308 })).toMatchObject(clamped);
    expect(analyticsInterval({ ...at, startedAt: '2001-09-09T01:46:40.000Z' })).toMatchObject(
      clamped,
    );
    expect(analyticsInterval({ ...at, defaultLookbackHours: 24 * 365 })).toMatchObject(clamped);
    // exactly the window is not clamped
    const edge = analyticsInterval({ ...at, bufferMinutes: 0, durationSeconds: 31 * 86_400 });
    expect(edge).toMatchObject({ start: '2023-09-26T14:30:00.000Z', startFrom: 'duration' });
    expect(analyticsInterval({ ...at, durationSeconds: 3600 }).startFrom).toBe('duration');
  });

  it('throws a RangeError for input no interval can come from', () => {
    const at = { ...base, occurredAt: '2023-10-27T14:30:00Z' };
    expect(() => analyticsInterval({ ...at, durationSeconds: Number.POSITIVE_INFINITY })).toThrow(
      /durationSeconds must be a finite number/,
    );
    expect(() => analyticsInterval({ ...at, durationSeconds: Number.NaN })).toThrow(RangeError);
    expect(() => analyticsInterval({ ...at, bufferMinutes: Number.NaN })).toThrow(/bufferMinutes/);
    expect(() => analyticsInterval({ ...at, tailMinutes: Number.POSITIVE_INFINITY })).toThrow(
      /tailMinutes/,
    );
    expect(() => analyticsInterval({ ...at, defaultLookbackHours: Number.NaN })).toThrow(
      /defaultLookbackHours/,
    );
    expect(() => analyticsInterval({ ...at, maxWindowDays: 0 })).toThrow(
      /maxWindowDays must be positive/,
    );
    expect(() => analyticsInterval({ ...at, resumedAt: 'later' })).toThrow(/resumedAt/);
    // years past 9999 (epoch ms as toUtcIso would date them) and a start before 1970
    expect(() => analyticsInterval({ ...base, occurredAt: '9999-12-31T23:58:00Z' })).toThrow(
      /outside the years 1970 to 9999/,
    );
    expect(() => analyticsInterval({ ...base, occurredAt: '+055840-11-08T22:13:20.000Z' })).toThrow(
      RangeError,
    );
    expect(() => analyticsInterval({ ...at, durationSeconds: 1.7e9 })).toThrow(/start before 1970/);
    expect(() => analyticsInterval({ ...at, durationSeconds: 1e308 })).toThrow(
      /outside the years 1970 to 9999/,
    );
    expect(() =>
      analyticsInterval({ ...at, durationSeconds: 1e308, maxWindowDays: 31 }),
    ).not.toThrow();
  });
});

describe('splitInterval', () => {
  const DAY = 86_400_000;
  const span = (piece: string) => {
    const [a = '', b = ''] = piece.split('/');
    return Date.parse(b) - Date.parse(a);
  };

  it('returns a short interval as one piece', () => {
    expect(splitInterval('2023-10-27T13:25:00.000Z/2023-10-27T14:35:00.000Z')).toEqual([
      '2023-10-27T13:25:00.000Z/2023-10-27T14:35:00.000Z',
    ]);
  });

  it('returns exactly maxDays as one piece', () => {
    expect(splitInterval('2024-01-01T00:00:00Z/2024-01-08T00:00:00Z')).toEqual([
      '2024-01-01T00:00:00.000Z/2024-01-08T00:00:00.000Z',
    ]);
  });

  it('splits into consecutive pieces of at most 7 days covering it exactly', () => {
    const pieces = splitInterval('2024-01-01T06:00:00.000Z/2024-01-20T12:30:00.000Z');
    expect(pieces).toEqual([
      '2024-01-01T06:00:00.000Z/2024-01-08T06:00:00.000Z',
      '2024-01-08T06:00:00.000Z/2024-01-15T06:00:00.000Z',
      '2024-01-15T06:00:00.000Z/2024-01-20T12:30:00.000Z',
    ]);
  });

  it('honours maxDays and covers a long interval without gaps or overlaps', () => {
    const interval = '2024-02-27T23:59:59.999Z/2024-05-01T00:00:00.001Z';
    const pieces = splitInterval(interval, 1.5);
    expect(pieces.length).toBe(43);
    expect(pieces[0]?.split('/')[0]).toBe('2024-02-27T23:59:59.999Z');
    expect(pieces.at(-1)?.split('/')[1]).toBe('2024-05-01T00:00:00.001Z');
    for (let i = 1; i < pieces.length; i += 1) {
      expect(pieces[i]?.split('/')[0]).toBe(pieces[i - 1]?.split('/')[1]);
    }
    for (const p of pieces) expect(span(p)).toBeLessThanOrEqual(1.5 * DAY);
    expect(pieces.reduce((sum, p) => sum + span(p), 0)).toBe(
      Date.parse('2024-05-01T00:00:00.001Z') - Date.parse('2024-02-27T23:59:59.999Z'),
    );
  });

  it('rejects malformed, empty or reversed intervals and a bad maxDays', () => {
    expect(() => splitInterval('2024-01-01T00:00:00Z')).toThrow(RangeError);
    expect(() => splitInterval('a/b')).toThrow(RangeError);
    expect(() => splitInterval('2024-01-02T00:00:00Z/2024-01-01T00:00:00Z')).toThrow(/after/);
    expect(() => splitInterval('2024-01-01T00:00:00Z/2024-01-01T00:00:00Z')).toThrow(/after/);
    expect(() => splitInterval('2024-01-01T00:00:00Z/2024-01-02T00:00:00Z/x')).toThrow(RangeError);
    expect(() => splitInterval('2024-01-01T00:00:00Z/2024-01-02T00:00:00Z', 0)).toThrow(/maxDays/);
  });
});
