import type { Report } from '@wrapup/shared';

export type CsvValue = string | number | boolean | null | undefined;

/**
 * One CSV field, RFC 4180: quoted (its quotes doubled) when it holds a comma, a quote, CR or LF.
 * Text starting with `=`, `+`, `-`, `@`, a tab or CR (a spreadsheet would run it as a formula:
 * a campaign name is anyone's text) is prefixed with `'`; numbers and booleans are written as
 * they are, null and undefined as an empty field.
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Records as CSV: fields joined by commas, each record ended by CRLF (RFC 4180). */
export const csv = (rows: readonly (readonly CsvValue[])[]) =>
  rows.map((row) => row.map(csvField).join(',') + '\r\n').join('');

/** Every scalar leaf of `value` as [dotted path, value], in the object's order. */
function leaves(value: unknown, path: string, out: [string, CsvValue][]): [string, CsvValue][] {
  if (value === null || typeof value !== 'object') {
    out.push([path, value as CsvValue]);
    return out;
  }
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    leaves(child, path === '' ? key : `${path}.${key}`, out);
  }
  return out;
}

/**
 * The report as CSV with a header row `section,name,value`, one figure a record: section `report`
 * holds every field but the lists (by dotted name: `metrics.totalCallsAttempted`,
 * `completeness.rule.settleMs`, ...), then `wrapUpCodes` (name: the code, value: the count), then
 * `hourly.attempted`, `hourly.connected` and `hourly.abandoned` (name: the ISO hour start).
 */
export function reportCsv(report: Report): string {
  const { wrapUpCodes, hourly, ...rest } = report;
  const rows: CsvValue[][] = [['section', 'name', 'value']];
  for (const [name, value] of leaves(rest, '', [])) rows.push(['report', name, value]);
  for (const { code, count } of wrapUpCodes ?? []) rows.push(['wrapUpCodes', code, count]);
  for (const key of ['attempted', 'connected', 'abandoned'] as const) {
    for (const point of hourly ?? []) rows.push([`hourly.${key}`, point.hour, point[key]]);
  }
  return csv(rows);
}
