/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import { CAMPAIGN_ID_PATTERN, RUN_STAGES, type RunStage } from '@wrapup/shared';
import type { RecentPage, RunStore } from '@wrapup/runs';
import { reportCsv } from './csv';
import { ListPage, MessagePage, ReportPage, type ListQuery } from './pages';

export interface ConsoleDeps {
  runs: RunStore;
  logger: Logger;
  now: () => number;
}

/** A report id as the worker makes them (reportIdFor): `rpt-` and 32 hex digits. */
const REPORT_ID = /^rpt-[0-9a-f]{32}$/;
const MAX_OFFSET = 10_000;
const MAX_LIMIT = 100;
/** Other runs of the campaign listed on a report page. */
const OTHERS = 10;

type Env = { Variables: { nonce: string } };

/**
 * The Content-Security-Policy of every console response: nothing may load or run but the page's
 * own <style> (by nonce) and links and forms back to ourselves; no script at all (the list page
 * refreshes with <meta refresh>), no frames (nobody can frame the console), no base URL.
 */
export const consoleCsp = (nonce: string) =>
  [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    "img-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');

/**
 * The reports console (mounted by adminRoutes, so behind its Basic auth and same-origin checks):
 * GET only, every page server-rendered with Hono's JSX (which escapes every value), usable
 * without JavaScript.
 *
 * - `GET /admin/reports`: the latest runs across campaigns (`campaign`, `stage`, `offset`,
 *   `limit`, `refresh=1` to reload every 30 s);
 * - `GET /admin/reports/:reportId`: one report and its run's trail;
 * - `GET /admin/reports/:reportId/report.json` and `report.csv`: the report as downloads.
 */
export function consoleRoutes(deps: ConsoleDeps): Hono<Env> {
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    const nonce = randomBytes(16).toString('base64');
    c.set('nonce', nonce);
    await next();
    c.header('content-security-policy', consoleCsp(nonce));
    c.header('x-content-type-options', 'nosniff');
    c.header('x-frame-options', 'DENY');
    c.header('referrer-policy', 'no-referrer');
    c.header('cache-control', 'no-store');
  });

  const page = (c: Context<Env>, node: unknown, status: 200 | 400 | 404 | 503 = 200) =>
    c.html(String(node), status);
  const message = (c: Context<Env>, status: 400 | 404 | 503, title: string, text: string) =>
    page(c, <MessagePage nonce={c.get('nonce')} title={title} message={text} />, status);
  const unavailable = (c: Context<Env>, err: unknown, what: string) => {
    deps.logger.error({ err }, `reports console: ${what} failed`);
    c.header('retry-after', '5');
    return message(c, 503, 'Unavailable', 'Redis did not answer; try again in a few seconds.');
  };

  app.get('/', async (c) => {
    const parsed = parseListQuery(c.req.query());
    if ('problem' in parsed) return message(c, 400, 'Not a valid filter', parsed.problem);
    const q = parsed.query;
    let result: RecentPage;
    try {
      result = await deps.runs.listRecent({
        offset: q.offset,
        limit: q.limit,
        ...(q.campaign !== undefined && { campaignId: q.campaign }),
        ...(q.stage !== undefined && { stage: q.stage }),
      });
    } catch (err) {
      return unavailable(c, err, 'listing runs');
    }
    return page(c, <ListPage nonce={c.get('nonce')} query={q} page={result} nowMs={deps.now()} />);
  });

  /** The run and report of `reportId`, or the response to send instead. */
  const load = async (c: Context<Env>) => {
    const reportId = c.req.param('reportId') ?? '';
    if (!REPORT_ID.test(reportId))
      return { response: message(c, 404, 'No such report', 'That is not a report id.') };
    try {
      const found = await deps.runs.getWithReport(`run-${reportId.slice(4)}`);
      if (found.run === undefined && found.report === undefined)
        return {
          response: message(
            c,
            404,
            'No such report',
            'No run or report is kept under this id (runs expire after RUN_RETENTION_HOURS).',
          ),
        };
      return { reportId, ...found };
    } catch (err) {
      return { response: unavailable(c, err, 'reading a report') };
    }
  };

  app.get('/:reportId', async (c) => {
    const loaded = await load(c);
    if ('response' in loaded) return loaded.response;
    const { reportId, run, report } = loaded;
    const campaignId = run?.campaignId ?? report?.report.campaignId;
    let others: RecentPage = { runs: [], more: false, indexed: 0, truncated: false };
    if (campaignId !== undefined) {
      try {
        others = await deps.runs.listRecent({ campaignId, limit: OTHERS + 1 });
      } catch (err) {
        return unavailable(c, err, "listing the campaign's runs");
      }
    }
    const rest = others.runs.filter((r) => r.runId !== `run-${reportId.slice(4)}`);
    return page(
      c,
      <ReportPage
        nonce={c.get('nonce')}
        reportId={reportId}
        run={run}
        copy={report}
        others={rest.slice(0, OTHERS)}
        othersMore={others.more || rest.length > OTHERS}
        nowMs={deps.now()}
      />,
    );
  });

  app.get('/:reportId/report.json', async (c) => {
    const loaded = await load(c);
    if ('response' in loaded) return loaded.response;
    if (!loaded.report) return message(c, 404, 'No report', 'This run has no report kept.');
    c.header('content-disposition', `attachment; filename="${loaded.reportId}.json"`);
    return c.json(loaded.report.report);
  });

  app.get('/:reportId/report.csv', async (c) => {
    const loaded = await load(c);
    if ('response' in loaded) return loaded.response;
    if (!loaded.report) return message(c, 404, 'No report', 'This run has no report kept.');
    c.header('content-type', 'text/csv; charset=utf-8; header=present');
    c.header('content-disposition', `attachment; filename="${loaded.reportId}.csv"`);
    return c.body(reportCsv(loaded.report.report));
  });

  return app;
}

/** The list page's query string, or what is wrong with it. */
export function parseListQuery(
  raw: Record<string, string>,
): { query: ListQuery } | { problem: string } {
  const int = (name: string, fallback: number, min: number, max: number) => {
    const s = raw[name];
    if (s === undefined || s === '') return fallback;
    if (!/^\d+$/.test(s)) return undefined;
    const n = Number(s);
    return n >= min && n <= max ? n : undefined;
  };
  const offset = int('offset', 0, 0, MAX_OFFSET);
  if (offset === undefined)
    return { problem: `offset must be a whole number up to ${MAX_OFFSET}.` };
  const limit = int('limit', 25, 1, MAX_LIMIT);
  if (limit === undefined)
    return { problem: `limit must be a whole number from 1 to ${MAX_LIMIT}.` };
  const campaign = raw.campaign?.trim() || undefined;
  if (campaign !== undefined && !CAMPAIGN_ID_PATTERN.test(campaign))
    return {
      problem:
        'A campaign id is 1 to 128 letters, digits, -, _, . or :, starting with a letter or digit.',
    };
  const stageText = raw.stage || undefined;
  if (stageText !== undefined && !(RUN_STAGES as readonly string[]).includes(stageText))
    return { problem: `stage must be one of ${RUN_STAGES.join(', ')}.` };
  return {
    query: {
      offset,
      limit,
      campaign,
      stage: stageText as RunStage | undefined,
      refresh: raw.refresh === '1',
    },
  };
}
