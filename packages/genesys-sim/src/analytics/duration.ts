/** An ISO-8601 duration (`PT15M`, `PT1H`, `P1D`, `P1W`, `P1M`...). */
export interface IsoDuration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const DURATION =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Parses an ISO-8601 duration; undefined when it is not one or is zero. */
export function parseDuration(text: string): IsoDuration | undefined {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const n = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  const d: IsoDuration = {
    years: n(1),
    months: n(2),
    weeks: n(3),
    days: n(4),
    hours: n(5),
    minutes: n(6),
    seconds: n(7),
  };
  const total = d.years + d.months + d.weeks + d.days + d.hours + d.minutes + d.seconds;
  return total > 0 ? d : undefined;
}

/** Adds a duration to an instant, calendar-aware in UTC for years and months. */
export function addDuration(ms: number, d: IsoDuration): number {
  const date = new Date(ms);
  if (d.years || d.months) date.setUTCMonth(date.getUTCMonth() + d.years * 12 + d.months);
  if (d.weeks || d.days) date.setUTCDate(date.getUTCDate() + d.weeks * 7 + d.days);
  return date.getTime() + ((d.hours * 60 + d.minutes) * 60 + d.seconds) * 1000;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** Parses one ISO-8601 instant with a zone designator; undefined when invalid. */
export function parseInstant(text: string): number | undefined {
  if (!INSTANT.test(text)) return undefined;
  // Keep at most milliseconds: Date.parse does not promise more.
  const trimmed = text.replace(/(\.\d{3})\d+/, '$1');
  const ms = Date.parse(trimmed);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Parses `start/end` (both instants); undefined when malformed. */
export function parseInterval(text: string): { startMs: number; endMs: number } | undefined {
  const parts = text.split('/');
  if (parts.length !== 2) return undefined;
  const startMs = parseInstant(parts[0] as string);
  const endMs = parseInstant(parts[1] as string);
  if (startMs === undefined || endMs === undefined) return undefined;
  return { startMs, endMs };
}

export function formatInterval(startMs: number, endMs: number): string {
  return `${new Date(startMs).toISOString()}/${new Date(endMs).toISOString()}`;
}
