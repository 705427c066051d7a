/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import { fillHours, type HourlyPoint, type Report } from '@wrapup/shared';
import { dayLabel, hourLabel, int, pct } from './format';

/**
 * Charts as SVG drawn on the server: no script, no external file. Colours are presentation
 * attributes (not `style`), so the strict Content-Security-Policy leaves them alone. Each chart
 * has a title and a description (role="img") and a table with the same numbers next to it.
 */

const COLORS = { attempted: '#93c5fd', connected: '#2563eb', abandoned: '#dc2626' } as const;

/** The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 x 10^k) at or above `max`, at least 1: the axis' top. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    const top = Math.round(step * power * 1000) / 1000;
    if (top >= max) return Math.max(1, top);
  }
  return 10 * power;
}

/** An axis label: whole numbers with separators, else one decimal. */
const tick = (x: number) => (Number.isInteger(x) ? int(x) : x.toFixed(1));

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * A chart's SVG, `name`-chart, read out by its title and description (`name`-title and
 * `name`-desc); `data` are its data-* attributes.
 */
function ChartSvg(props: {
  name: string;
  class: string;
  width: number;
  height: number;
  title: string;
  desc: string;
  data?: Record<`data-${string}`, string>;
  children?: Child;
}) {
  const { name, width, height } = props;
  return (
    <svg
      id={`${name}-chart`}
      class={props.class}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-labelledby={`${name}-title ${name}-desc`}
      {...props.data}
    >
      <title id={`${name}-title`}>{props.title}</title>
      <desc id={`${name}-desc`}>{props.desc}</desc>
      {props.children}
    </svg>
  );
}

/** A chart's numbers as a table (`head` its column headings, the children its rows), folded away under `summary`. */
function NumbersTable(props: { summary: string; head: string[]; children?: Child }) {
  return (
    <details>
      <summary>{props.summary}</summary>
      <div class="scroll">
        <table class="data">
          <thead>
            <tr>
              {props.head.map((h) => (
                <th scope="col">{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>{props.children}</tbody>
        </table>
      </div>
    </details>
  );
}

/** The hourly chart's geometry (viewBox units); exported for the tests that measure the bars. */
export const HOURLY_CHART = { width: 720, height: 260, left: 52, right: 8, top: 14, bottom: 44 };

/**
 * Attempts, connects and abandons per UTC hour of the report's window: one bar per hour, the
 * attempts bar holding the connects bar holding the abandons bar (each a part of the one before).
 * Hours the series lacks are drawn as zero (the window is filled).
 */
export function HourlyChart({ report }: { report: Report }) {
  let points: HourlyPoint[];
  try {
    points = fillHours(report.hourly ?? [], report.interval);
  } catch {
    points = report.hourly ?? [];
  }
  const { width, height, left, right, top, bottom } = HOURLY_CHART;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const peak = points.reduce((m, p) => Math.max(m, p.attempted, p.connected, p.abandoned), 0);
  const yMax = niceMax(peak);
  const slot = plotW / Math.max(1, points.length);
  const barW = Math.max(0.5, slot * (points.length > 48 ? 0.9 : 0.75));
  const h = (n: number) => round2((n / yMax) * plotH);
  const labelEvery = Math.max(1, Math.ceil(points.length / 12));
  const first = points[0];
  const last = points[points.length - 1];
  const busiest = points.reduce<HourlyPoint | undefined>(
    (b, p) => (b === undefined || p.attempted > b.attempted ? p : b),
    undefined,
  );
  const desc =
    first && last
      ? `${points.length} hours from ${dayLabel(first.hour)} ${hourLabel(first.hour)} to ${dayLabel(last.hour)} ${hourLabel(last.hour)} UTC` +
        (busiest && busiest.attempted > 0
          ? `; busiest hour ${dayLabel(busiest.hour)} ${hourLabel(busiest.hour)} with ${int(busiest.attempted)} attempts, ${int(busiest.connected)} connects and ${int(busiest.abandoned)} abandons.`
          : '; no calls.')
      : 'No hours.';
  return (
    <figure class="chart">
      <ChartSvg
        name="hourly"
        class="hourly"
        width={width}
        height={height}
        title="Attempts, connects and abandons per hour (UTC)"
        desc={desc}
        data={{
          'data-y-max': String(yMax),
          'data-plot-height': String(plotH),
          'data-hours': String(points.length),
        }}
      >
        {[0, 0.5, 1].map((f) => {
          const y = round2(top + plotH - f * plotH);
          return (
            <g class="grid">
              <line x1={left} x2={width - right} y1={y} y2={y} stroke="#d1d5db" stroke-width="1" />
              <text x={left - 6} y={y + 4} text-anchor="end" font-size="11" fill="#4b5563">
                {tick(yMax * f)}
              </text>
            </g>
          );
        })}
        {points.map((p, i) => {
          const x = round2(left + i * slot + (slot - barW) / 2);
          const base = top + plotH;
          const tip = `${dayLabel(p.hour)} ${hourLabel(p.hour)} UTC: ${int(p.attempted)} attempted, ${int(p.connected)} connected, ${int(p.abandoned)} abandoned`;
          return (
            <g class="hour" data-hour={p.hour}>
              <title>{tip}</title>
              {(['attempted', 'connected', 'abandoned'] as const).map((k) => (
                <rect
                  class={`bar ${k}`}
                  x={x}
                  y={round2(base - h(p[k]))}
                  width={round2(barW)}
                  height={h(p[k])}
                  fill={COLORS[k]}
                  data-value={String(p[k])}
                />
              ))}
            </g>
          );
        })}
        {points.map((p, i) =>
          i % labelEvery === 0 ? (
            <text
              x={round2(left + i * slot + slot / 2)}
              y={height - bottom + 16}
              text-anchor="middle"
              font-size="11"
              fill="#4b5563"
            >
              {hourLabel(p.hour)}
            </text>
          ) : null,
        )}
        {points.map((p, i) =>
          i === 0 || p.hour.endsWith('T00:00:00.000Z') ? (
            <text
              x={round2(left + i * slot)}
              y={height - bottom + 32}
              font-size="11"
              fill="#111827"
            >
              {dayLabel(p.hour)}
            </text>
          ) : null,
        )}
      </ChartSvg>
      <figcaption class="legend">
        <span class="key attempted">attempted</span>
        <span class="key connected">connected</span>
        <span class="key abandoned">abandoned</span>
      </figcaption>
      <NumbersTable
        summary="The numbers per hour"
        head={['Hour (UTC)', 'Attempted', 'Connected', 'Abandoned']}
      >
        {points.map((p) => (
          <tr>
            <th scope="row">
              {dayLabel(p.hour)} {hourLabel(p.hour)}
            </th>
            <td>{int(p.attempted)}</td>
            <td>{int(p.connected)}</td>
            <td>{int(p.abandoned)}</td>
          </tr>
        ))}
      </NumbersTable>
    </figure>
  );
}

/** The most wrap-up codes drawn; the rest are summed into one bar. */
export const MAX_CODES = 15;

/** Handled conversations by wrap-up code, most first, as horizontal bars. */
export function WrapUpChart({ codes }: { codes: { code: string; count: number }[] }) {
  const total = codes.reduce((n, c) => n + c.count, 0);
  const shown = codes.slice(0, MAX_CODES);
  const rest = codes.slice(MAX_CODES);
  const bars = rest.length
    ? [
        ...shown,
        { code: `other (${rest.length} codes)`, count: rest.reduce((n, c) => n + c.count, 0) },
      ]
    : shown;
  const rowH = 26;
  const labelW = 200;
  const width = 720;
  const barMax = width - labelW - 110;
  const height = bars.length * rowH + 8;
  const max = bars.reduce((m, b) => Math.max(m, b.count), 0) || 1;
  const clip = (s: string) => (s.length > 28 ? `${s.slice(0, 27)}…` : s);
  const top = bars[0];
  return (
    <figure class="chart">
      <ChartSvg
        name="wrapup"
        class="wrapups"
        width={width}
        height={height}
        title="Handled conversations by wrap-up code"
        desc={
          top
            ? `${bars.length} bars, ${int(total)} handled conversations; most: ${top.code} with ${int(top.count)} (${pct(top.count / (total || 1))}).`
            : 'No wrap-up codes.'
        }
      >
        {bars.map((b, i) => {
          const y = 4 + i * rowH;
          const w = round2((b.count / max) * barMax);
          return (
            <g class="code" data-code={b.code}>
              <title>{`${b.code}: ${int(b.count)} (${pct(b.count / (total || 1))})`}</title>
              <text x={labelW - 8} y={y + 17} text-anchor="end" font-size="12" fill="#111827">
                {clip(b.code)}
              </text>
              <rect
                class="bar"
                x={labelW}
                y={y + 4}
                width={w}
                height={rowH - 8}
                fill="#2563eb"
                data-value={String(b.count)}
              />
              <text x={labelW + w + 6} y={y + 17} font-size="12" fill="#374151">
                {`${int(b.count)} · ${pct(b.count / (total || 1))}`}
              </text>
            </g>
          );
        })}
      </ChartSvg>
      <NumbersTable summary="The numbers per code" head={['Wrap-up code', 'Handled', 'Share']}>
        {codes.map((c) => (
          <tr>
            <th scope="row">{c.code}</th>
            <td>{int(c.count)}</td>
            <td>{pct(c.count / (total || 1))}</td>
          </tr>
        ))}
      </NumbersTable>
    </figure>
  );
}
