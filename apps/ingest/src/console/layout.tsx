/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import type { RunStage } from '@wrapup/shared';
import { STAGE_LABELS } from './format';

/**
 * The stylesheet: a constant (never data), so it is the one thing written raw. It goes out in a
 * <style> carrying the response's CSP nonce.
 */
const CSS = `
:root { color-scheme: light; --fg: #111827; --muted: #4b5563; --line: #e5e7eb; --bg: #f9fafb; --link: #1d4ed8; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header.top { background: #111827; color: #fff; padding: .6rem 1rem; display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
header.top a { color: #fff; text-decoration: none; }
header.top .brand { font-weight: 700; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: .2rem 0 .6rem; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
a { color: var(--link); }
.muted, .id { color: var(--muted); }
.id { font: 12px/1.3 ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem; font-weight: 600; color: #fff; white-space: nowrap; }
.stage-received { background: #6b7280; } .stage-validating { background: #2563eb; }
.stage-waiting_for_analytics { background: #a16207; } .stage-delivering { background: #7c3aed; }
.stage-delivered { background: #15803d; } .stage-incomplete { background: #c2410c; }
.stage-rejected { background: #334155; } .stage-failed { background: #b91c1c; }
.compliance-over { background: #b91c1c; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .5rem 0 1rem; }
form.filters label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
form.filters input, form.filters select, form.filters button { font: inherit; padding: .35rem .5rem; border: 1px solid #9ca3af; border-radius: 6px; background: #fff; min-height: 2.2rem; }
form.filters button { background: #111827; color: #fff; border-color: #111827; cursor: pointer; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .45rem .55rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); background: #f3f4f6; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.pager { display: flex; gap: 1rem; justify-content: space-between; margin: .8rem 0; flex-wrap: wrap; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: .6rem; margin: 0; }
.figures div { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; }
.figures dt { font-size: .8rem; color: var(--muted); }
.figures dd { margin: 0; font-size: 1.35rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.figures dd small { font-size: .8rem; font-weight: 400; color: var(--muted); }
figure.chart { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .6rem; }
figure.chart svg { width: 100%; height: auto; display: block; }
.legend { display: flex; gap: 1rem; font-size: .85rem; padding: .3rem .2rem; flex-wrap: wrap; }
.key::before { content: ""; display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; margin-right: .3rem; vertical-align: -1px; }
.key.attempted::before { background: #93c5fd; } .key.connected::before { background: #2563eb; } .key.abandoned::before { background: #dc2626; }
details { margin-top: .4rem; } summary { cursor: pointer; color: var(--link); }
.scroll { overflow-x: auto; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .7rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.note { background: #fffbeb; border: 1px solid #fde68a; border-radius: 8px; padding: .6rem .8rem; }
.error { background: #fef2f2; border: 1px solid #fecaca; border-radius: 8px; padding: .6rem .8rem; overflow-wrap: anywhere; }
.actions { display: flex; gap: .8rem; flex-wrap: wrap; margin: .4rem 0; }
.actions a { padding: .3rem .7rem; border: 1px solid #9ca3af; border-radius: 6px; background: #fff; text-decoration: none; }
ul.others { padding-left: 1.2rem; }
@media (max-width: 720px) {
  main { padding: .6rem; }
  table.runs thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.runs, table.runs tbody, table.runs tr, table.runs td { display: block; width: 100%; }
  table.runs tr { border: 1px solid var(--line); border-radius: 8px; margin-bottom: .6rem; background: #fff; }
  table.runs td { display: flex; justify-content: space-between; gap: 1rem; border: 0; padding: .25rem .7rem; text-align: right; }
  table.runs td::before { content: attr(data-label); color: var(--muted); font-size: .85rem; text-align: left; }
  table.runs td.campaign { display: block; text-align: left; padding-top: .5rem; }
  table.runs td.campaign::before { content: none; }
  dl.facts { grid-template-columns: 1fr; } dl.facts dd { margin-bottom: .3rem; }
}
`;

export interface LayoutProps {
  title: string;
  /** The response's CSP nonce (its <style> carries it). */
  nonce: string;
  /** Seconds after which the browser reloads the page (a <meta refresh>: no script). */
  refreshSeconds?: number | undefined;
  children?: Child;
}

/** A whole page: doctype, head (viewport, no referrer) and the console's header. */
export function Layout({ title, nonce, refreshSeconds, children }: LayoutProps) {
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          {refreshSeconds !== undefined && (
            <meta http-equiv="refresh" content={String(refreshSeconds)} />
          )}
          <title>{`${title} · wrapup`}</title>
          <style nonce={nonce}>{raw(CSS)}</style>
        </head>
        <body>
          <header class="top">
            <a class="brand" href="/admin/reports">
              wrapup reports
            </a>
            <a href="/admin/queues">queues (Bull Board)</a>
          </header>
          <main>{children}</main>
        </body>
      </html>
    </>
  );
}

/** A stage as a coloured badge (the colour repeats the label, never replaces it). */
export function StageBadge({ stage }: { stage: RunStage }) {
  return (
    <span class={`badge stage-${stage}`} data-stage={stage}>
      {STAGE_LABELS[stage]}
    </span>
  );
}
