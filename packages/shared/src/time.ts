/**
 * Time handling. Everything leaves here as ISO-8601 UTC with milliseconds
 * (`2023-10-27T14:30:00.000Z`).
 *
 * Naive local times (no `Z`, no offset) are read in the configured EVENT_TIMEZONE. We compute the
 * zone offset ourselves from `Intl.DateTimeFormat#formatToParts` (hourCycle h23, so Node 20 and 24
 * agree) instead of a date library's zone plugin (dayjs's has shifted its handling of wall times
 * in DST gaps and overlaps between versions). DST rules follow Temporal's "compatible"
 * disambiguation:
 *  - a wall time that does not exist (spring-forward gap, e.g. Europe/Berlin 2024-03-31 02:30) is
 *    pushed forward by the gap: 02:30 -> 03:30 CEST = 01:30Z;
 *  - a wall time that occurs twice (fall-back overlap, e.g. Europe/Berlin 2024-10-27 02:30) takes
 *    the earlier instant (still summer time): 02:30 CEST = 00:30Z.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
/** Epoch milliseconds between 2001-09-09 and 2286-11-20 (13 digits), as a string. */
const EPOCH_MS_PATTERN = /^\d{13}$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      era: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of `timeZone` from UTC at the instant `utcMs`, in milliseconds (east positive). */
export function zoneOffsetMs(utcMs: number, timeZone: string): number {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(utcMs))) parts[p.type] = p.value;
  let year = Number(parts.year);
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
  // Some ICU versions print midnight as 24 even with h23; treat it as 0.
  const hour = Number(parts.hour) % 24;
  const wall = Date.UTC(
    year,
    Number(parts.month) - 1,
    Number(parts.day),
    hour,
    Number(parts.minute),
    Number(parts.second),
  );
  const seconds = Math.floor(utcMs / 1000) * 1000;
  return wall - seconds;
}

/** The UTC instant of wall time `wallMs` (a wall clock read as if it were UTC) in `timeZone`. */
export function wallTimeToUtc(wallMs: number, timeZone: string): number {
  const before = zoneOffsetMs(wallMs - DAY, timeZone);
  const after = zoneOffsetMs(wallMs + DAY, timeZone);
  const candidates = [wallMs - before, wallMs - after].filter(
    (u) => u + zoneOffsetMs(u, timeZone) === wallMs,
  );
  // Overlap: both fit -> the earlier instant. Gap: none fits -> apply the offset from before the
  // transition, which lands after it (pushed forward by the gap).
  if (candidates.length === 0) return wallMs - before;
  return Math.min(...candidates);
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Parses an event time to `YYYY-MM-DDTHH:mm:ss.SSSZ`, or undefined when it is not a valid time.
 * Accepts ISO-8601 with `Z` or an offset (`+02:00`, `+0200`, `+02`), a naive
 * `YYYY-MM-DDTHH:mm[:ss[.SSS]]` (or with a space instead of `T`) read in `eventTimezone`, and
 * epoch milliseconds (a number, or a 13-digit string). Fractions beyond milliseconds are cut.
 */
export function toUtcIso(input: string | number, eventTimezone: string): string | undefined {
  if (typeof input === 'number') return fromMs(input);
  const s = input.trim();
  if (EPOCH_MS_PATTERN.test(s)) return fromMs(Number(s));
  const m = ISO_PATTERN.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(sec);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (zone === undefined) {
    try {
      return fromMs(wallTimeToUtc(wall, eventTimezone));
    } catch {
      return undefined; // unknown time zone
    }
  }
  if (zone === 'Z' || zone === 'z') return fromMs(wall);
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offH = Number(digits.slice(0, 2));
  const offM = Number(digits.slice(2) || '0');
  if (offH > 18 || offM > 59) return undefined;
  return fromMs(wall - sign * (offH * HOUR + offM * 60_000));
}

/** 10000-01-01T00:00:00.000Z: below it (and from 1970) toISOString prints exactly our format. */
const YEAR_10000_MS = 253_402_300_800_000;

/**
 * `YYYY-MM-DDTHH:mm:ss.SSSZ` for the years 1970 to 9999. Past 9999 (epoch milliseconds up to
 * 8.64e15 reach the year 275760) toISOString writes ISO 8601's expanded year,
 * `+010000-01-01T00:00:00.000Z`, which Date.parse reads back, so the event horizon refuses such a
 * time as in the future and analyticsInterval throws a RangeError for it.
 */
const iso = (ms: number) => new Date(ms).toISOString();

function fromMs(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms < 0 || ms > 8.64e15) return undefined;
  return iso(Math.trunc(ms));
}

/** Strict UTC parse for our own ISO strings; throws RangeError naming `what` when invalid. */
function parseUtc(value: string, what: string): number {
  const iso = toUtcIso(value, 'UTC');
  if (iso === undefined)
    throw new RangeError(`${what} is not an ISO-8601 time: ${JSON.stringify(value)}`);
  return Date.parse(iso);
}

export interface AnalyticsIntervalInput {
  /** When the campaign finished (ISO). */
  occurredAt: string;
  /** How long it ran, when the event says so. */
  durationSeconds?: number | undefined;
  /** When the run first turned on (across pauses), when remembered. */
  startedAt?: string | undefined;
  bufferMinutes: number;
  defaultLookbackHours: number;
  /**
   * How far past the finish the interval reaches (ANALYTICS_TAIL_MINUTES): handle and after-call
   * work post when the work ends, which can be minutes after the finish. The end is the finish plus
   * the larger of this and the buffer. Default 0.
   */
  tailMinutes?: number | undefined;
  /** When the campaign was turned on again after this (stop) finish: the end never reaches past it. */
  resumedAt?: string | undefined;
  /**
   * The longest interval one run may query (MAX_WINDOW_DAYS): an earlier start is clamped to
   * end - maxWindowDays (`startFrom: 'clamped'`). Left out: no bound.
   */
  maxWindowDays?: number | undefined;
}

export interface AnalyticsInterval {
  start: string;
  end: string;
  /** `${start}/${end}`, as the aggregates query wants it. */
  interval: string;
  /** `clamped`: the start the run asked for lay more than maxWindowDays before the end. */
  startFrom: 'duration' | 'first-start' | 'lookback' | 'clamped';
  endFrom: 'tail' | 'resumed';
}

/** A finite number, else RangeError naming `what`. */
function finite(value: number, what: string): number {
  if (!Number.isFinite(value))
    throw new RangeError(`${what} must be a finite number, got ${value}`);
  return value;
}

/**
 * The UTC interval to query analytics for one campaign run:
 * start = occurredAt - durationSeconds (else startedAt, else occurredAt - defaultLookbackHours)
 * minus the buffer; end = occurredAt plus the larger of the buffer and the tail, but never past a
 * later resume of the campaign (its new dials belong to the next report). A start later than
 * occurredAt (a startedAt from the future, a negative duration) is clamped to occurredAt; a start
 * more than maxWindowDays before the end is clamped to end - maxWindowDays. Throws RangeError for
 * input no interval can come from: a time that is not ISO-8601, a non-finite number, a
 * maxWindowDays that is not positive, or an interval outside the years 1970 to 9999.
 */
export function analyticsInterval(a: AnalyticsIntervalInput): AnalyticsInterval {
  const occurred = parseUtc(a.occurredAt, 'occurredAt');
  const buffer = Math.max(0, finite(a.bufferMinutes, 'bufferMinutes')) * 60_000;
  const tail = Math.max(0, finite(a.tailMinutes ?? 0, 'tailMinutes')) * 60_000;
  let begin: number;
  let startFrom: AnalyticsInterval['startFrom'];
  if (a.durationSeconds !== undefined) {
    begin = occurred - Math.round(finite(a.durationSeconds, 'durationSeconds') * 1000);
    startFrom = 'duration';
  } else if (a.startedAt !== undefined) {
    begin = parseUtc(a.startedAt, 'startedAt');
    startFrom = 'first-start';
  } else {
    begin = occurred - Math.round(finite(a.defaultLookbackHours, 'defaultLookbackHours') * HOUR);
    startFrom = 'lookback';
  }
  begin = Math.min(begin, occurred) - buffer;
  let endMs = occurred + Math.max(buffer, tail);
  let endFrom: AnalyticsInterval['endFrom'] = 'tail';
  if (a.resumedAt !== undefined) {
    const resumed = parseUtc(a.resumedAt, 'resumedAt');
    if (resumed > occurred && resumed < endMs) {
      endMs = resumed;
      endFrom = 'resumed';
    }
  }
  if (a.maxWindowDays !== undefined) {
    if (!(finite(a.maxWindowDays, 'maxWindowDays') > 0)) {
      throw new RangeError(`maxWindowDays must be positive, got ${a.maxWindowDays}`);
    }
    const earliest = endMs - Math.round(a.maxWindowDays * DAY);
    if (begin < earliest) {
      begin = earliest;
      startFrom = 'clamped';
    }
  }
  if (!(begin >= 0 && endMs < YEAR_10000_MS)) {
    throw new RangeError(
      `the analytics interval for occurredAt ${a.occurredAt} falls outside the years 1970 to 9999 ` +
        `(start ${begin < 0 ? 'before 1970' : iso(begin)}, end ${endMs >= YEAR_10000_MS ? 'after 9999' : iso(endMs)})`,
    );
  }
  const start = iso(begin);
  const end = iso(endMs);
  return { start, end, interval: `${start}/${end}`, startFrom, endFrom };
}

/**
 * Splits `start/end` into consecutive pieces of at most `maxDays` days that cover it exactly
 * (each piece's end is the next one's start). An interval that fits is returned as one piece
 * (normalised to ISO UTC with milliseconds). Throws RangeError for a malformed or empty interval.
 */
export function splitInterval(interval: string, maxDays = 7): string[] {
  const [startText, endText, ...rest] = interval.split('/');
  if (startText === undefined || endText === undefined || rest.length > 0) {
    throw new RangeError(`interval must be "start/end": ${JSON.stringify(interval)}`);
  }
  if (!(maxDays > 0)) throw new RangeError(`maxDays must be positive, got ${maxDays}`);
  const start = parseUtc(startText, 'interval start');
  const end = parseUtc(endText, 'interval end');
  if (end <= start) throw new RangeError(`interval end must be after its start: ${interval}`);
  const step = Math.round(maxDays * DAY);
  const pieces: string[] = [];
  for (let from = start; from < end; from += step) {
    pieces.push(`${iso(from)}/${iso(Math.min(from + step, end))}`);
  }
  return pieces;
}
