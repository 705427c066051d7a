import type { RunStage } from '@wrapup/shared';

/** How each stage is named on the pages (the stored names stay as they are in URLs and filters). */
export const STAGE_LABELS: Record<RunStage, string> = {
  received: 'received',
  validating: 'validating',
  waiting_for_analytics: 'waiting',
  delivering: 'delivering',
  delivered: 'delivered',
  incomplete: 'incomplete',
  rejected: 'rejected',
  failed: 'failed',
};

/** 1500 -> `1,500`. */
export const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** 0.3 -> `30.0%`. */
export const pct = (r: number) => `${(r * 100).toFixed(1)}%`;

/** 120.5 -> `120.5 s`; 120 -> `120 s`. */
export const secs = (s: number) => `${Number.isInteger(s) ? s : s.toFixed(1)} s`;

/** An ISO time as `2024-05-01 10:00:00 UTC` (the stored text when it is not a time). */
export function utc(iso: string | undefined): string {
  if (iso === undefined) return '–';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A span of milliseconds as `800 ms`, `12 s`, `5 min`, `3 h 10 min`, `2 d 4 h`. */
export function span(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  const s = abs / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** How long ago `iso` was, from `nowMs`: `5 min ago` (`just now` under 5 s; `–` when unknown). */
export function age(iso: string | undefined, nowMs: number): string {
  if (iso === undefined) return '–';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '–';
  const diff = nowMs - ms;
  if (diff < 5000 && diff > -5000) return 'just now';
  return diff > 0 ? `${span(diff)} ago` : `in ${span(diff)}`;
}

/** `10:00` for an ISO hour start (UTC). */
export const hourLabel = (iso: string) => new Date(Date.parse(iso)).toISOString().slice(11, 16);

/** `May 1` for an ISO time (UTC). */
export const dayLabel = (iso: string) =>
  new Date(Date.parse(iso)).toLocaleDateString('en-US', {
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  });
