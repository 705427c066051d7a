/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import { RUN_STAGES, reportIdFor, type Report, type RunStage } from '@wrapup/shared';
import { replayJobId, type RecentPage, type ReportCopy, type StoredRun } from '@wrapup/runs';
import { HourlyChart, WrapUpChart } from './charts';
import { STAGE_LABELS, age, int, pct, secs, span, utc } from './format';
import { Layout, StageBadge } from './layout';

/** The list page's query, as parsed (routes.ts). */
export interface ListQuery {
  offset: number;
  limit: number;
  campaign?: string | undefined;
  stage?: RunStage | undefined;
  /** Reload every 30 s (a <meta refresh>). */
  refresh: boolean;
}

export const REFRESH_SECONDS = 30;
const reportHref = (runId: string) => `/admin/reports/${reportIdFor(runId)}`;

/** `/admin/reports?…` for the query with `over` applied (defaults left out). */
export function listHref(q: ListQuery, over: Partial<ListQuery> = {}): string {
  const next = { ...q, ...over };
  const params = new URLSearchParams();
  if (next.campaign) params.set('campaign', next.campaign);
  if (next.stage) params.set('stage', next.stage);
  if (next.offset > 0) params.set('offset', String(next.offset));
  if (next.limit !== 25) params.set('limit', String(next.limit));
  if (next.refresh) params.set('refresh', '1');
  const s = params.toString();
  return s ? `/admin/reports?${s}` : '/admin/reports';
}

function Completeness({ run }: { run: StoredRun }) {
  const s = run.summary;
  if (!s) return <span class="muted">–</span>;
  const of = `${int(s.observedCount)} of ${s.expectedCount === null ? 'unknown' : int(s.expectedCount)}`;
  return (
    <span title={s.verdict ? `verdict: ${s.verdict}` : undefined}>
      {s.dataComplete ? 'complete' : 'incomplete'} <span class="muted">· {of}</span>
    </span>
  );
}

const figure = (run: StoredRun, show: (s: NonNullable<StoredRun['summary']>) => string) =>
  run.summary ? show(run.summary) : '–';

/** `/admin/reports`: the latest runs across campaigns, newest first, paged and filterable. */
export function ListPage(props: {
  nonce: string;
  query: ListQuery;
  page: RecentPage;
  nowMs: number;
  problem?: string | undefined;
}) {
  const { query: q, page, nowMs } = props;
  const title = q.campaign ? `Runs of ${q.campaign}` : 'Latest runs';
  return (
    <Layout
      title={title}
      nonce={props.nonce}
      refreshSeconds={q.refresh ? REFRESH_SECONDS : undefined}
    >
      <h1>{title}</h1>
      <form class="filters" method="get" action="/admin/reports" role="search">
        <label>
          Campaign id
          <input
            type="text"
            name="campaign"
            value={q.campaign ?? ''}
            maxlength={128}
            pattern="[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}"
            placeholder="any campaign"
            autocomplete="off"
          />
        </label>
        <label>
          Stage
          <select name="stage">
            <option value="" selected={q.stage === undefined}>
              any stage
            </option>
            {RUN_STAGES.map((s) => (
              <option value={s} selected={q.stage === s}>
                {STAGE_LABELS[s]}
              </option>
            ))}
          </select>
        </label>
        {q.limit !== 25 && <input type="hidden" name="limit" value={String(q.limit)} />}
        {q.refresh && <input type="hidden" name="refresh" value="1" />}
        <button type="submit">Filter</button>
        {(q.campaign !== undefined || q.stage !== undefined) && (
          <a href={listHref(q, { campaign: undefined, stage: undefined, offset: 0 })}>clear</a>
        )}
        <a href={listHref(q, { refresh: !q.refresh })}>
          {q.refresh ? `stop refreshing` : `refresh every ${REFRESH_SECONDS} s`}
        </a>
      </form>
      {props.problem !== undefined && <p class="error">{props.problem}</p>}
      {page.runs.length === 0 ? (
        <p class="note" id="empty">
          No runs{q.campaign ? ` of campaign ${q.campaign}` : ''}
          {q.stage ? ` in stage ${STAGE_LABELS[q.stage]}` : ''}
          {q.offset > 0 ? ' on this page' : ''}.
        </p>
      ) : (
        <table class="runs">
          <thead>
            <tr>
              <th scope="col">Campaign</th>
              <th scope="col">Status</th>
              <th scope="col">Stage</th>
              <th scope="col">Completeness</th>
              <th scope="col" class="num">
                Attempts
              </th>
              <th scope="col" class="num">
                Connect rate
              </th>
              <th scope="col" class="num">
                Abandon rate
              </th>
              <th scope="col" class="num">
                Avg handle
              </th>
              <th scope="col">Age</th>
            </tr>
          </thead>
          <tbody>
            {page.runs.map((run) => (
              <tr data-run={run.runId} data-stage={run.stage}>
                <td class="campaign" data-label="Campaign">
                  <a href={reportHref(run.runId)}>{run.summary?.campaignName ?? run.campaignId}</a>
                  {run.summary?.campaignName !== undefined && (
                    <div class="id">{run.campaignId}</div>
                  )}
                </td>
                <td data-label="Status">{run.status}</td>
                <td data-label="Stage">
                  <StageBadge stage={run.stage} />
                </td>
                <td data-label="Completeness">
                  <Completeness run={run} />
                </td>
                <td class="num" data-label="Attempts">
                  {figure(run, (s) => int(s.attempted))}
                </td>
                <td class="num" data-label="Connect rate">
                  {figure(run, (s) => pct(s.connectRate))}
                </td>
                <td class="num" data-label="Abandon rate">
                  {figure(run, (s) => pct(s.abandonRate))}
                  {run.summary?.complianceOver === true && (
                    <span class="badge compliance-over" data-compliance="over">
                      over limit
                    </span>
                  )}
                </td>
                <td class="num" data-label="Avg handle">
                  {figure(run, (s) => secs(s.avgHandleSeconds))}
                </td>
                <td data-label="Age">
                  <time datetime={run.createdAt} title={utc(run.createdAt)}>
                    {age(run.createdAt, nowMs)}
                  </time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="pages">
        <span>
          {q.offset > 0 && (
            <a rel="prev" href={listHref(q, { offset: Math.max(0, q.offset - q.limit) })}>
              ← newer
            </a>
          )}
        </span>
        <span class="muted">
          {page.runs.length > 0
            ? `runs ${q.offset + 1}–${q.offset + page.runs.length}`
            : `${int(page.indexed)} runs indexed`}
          {page.truncated ? ` (the newest ${int(page.indexed)} runs looked at)` : ''}
        </span>
        <span>
          {page.more && (
            <a rel="next" href={listHref(q, { offset: q.offset + q.limit })}>
              older →
            </a>
          )}
        </span>
      </nav>
    </Layout>
  );
}

/**
 * The trail lists RUN_STAGES in their order (the order a run goes through them; the final one:
 * whichever it reached), by their STAGE_LABELS unless named here.
 */
const TRAIL_LABELS: Partial<Record<RunStage, string>> = {
  waiting_for_analytics: 'waiting for analytics',
  incomplete: 'delivered incomplete',
};

function Trail({ run, nowMs }: { run: StoredRun; nowMs: number }) {
  const start = Date.parse(run.stages.received ?? run.createdAt);
  const since = (iso: string) => {
    const ms = Date.parse(iso) - start;
    return Number.isFinite(ms) ? `+${span(Math.max(0, ms))}` : '';
  };
  const reached = RUN_STAGES.filter(
    (stage) =>
      run.stages[stage] !== undefined ||
      ['received', 'validating', 'waiting_for_analytics', 'delivering'].includes(stage),
  );
  return (
    <table class="data trail">
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">When (UTC)</th>
          <th scope="col">After receipt</th>
        </tr>
      </thead>
      <tbody>
        {reached.map((stage) => {
          const at = run.stages[stage];
          return (
            <tr data-step={stage} class={run.stage === stage ? 'current' : undefined}>
              <th scope="row">
                {TRAIL_LABELS[stage] ?? STAGE_LABELS[stage]}
                {run.stage === stage && (
                  <>
                    {' '}
                    <StageBadge stage={stage} />
                  </>
                )}
              </th>
              <td>{at ? <time datetime={at}>{utc(at)}</time> : <span class="muted">–</span>}</td>
              <td>{at ? since(at) : ''}</td>
            </tr>
          );
        })}
        <tr data-step="final">
          <th scope="row">final revision</th>
          <td>
            {run.finalizedAt ? (
              <time datetime={run.finalizedAt}>{utc(run.finalizedAt)}</time>
            ) : run.finalDueAt ? (
              <span>
                due <time datetime={run.finalDueAt}>{utc(run.finalDueAt)}</time> (
                {age(run.finalDueAt, nowMs)})
              </span>
            ) : (
              <span class="muted">–</span>
            )}
          </td>
          <td>
            {run.finalizedAt ? since(run.finalizedAt) : ''}
            {run.finalOutcome ? ` ${run.finalOutcome}` : ''}
          </td>
        </tr>
      </tbody>
    </table>
  );
}

const VERDICTS: Record<string, string> = {
  settled:
    'every condition held: the attempts reached the contacts called, every connected call was handled or abandoned, and the counts stopped changing',
  'max-wait': 'the wait ran out before every condition held; the report was written as incomplete',
  'final-recheck':
    "the final re-check after Genesys's reprocessing window: the same window queried once more, the conditions as found then",
};

function CompletenessFacts({ report }: { report: Report }) {
  const c = report.completeness;
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  return (
    <dl class="facts" id="completeness">
      <dt>Complete</dt>
      <dd>
        {report.dataComplete ? 'yes' : 'no'} ({int(report.observedCount)} attempts of{' '}
        {report.expectedCount === null ? 'an unknown number' : int(report.expectedCount)} expected)
      </dd>
      {c && (
        <>
          <dt>How it was judged</dt>
          <dd>
            <strong>{c.verdict}</strong>: {VERDICTS[c.verdict] ?? ''}
          </dd>
          <dt>Rule</dt>
          <dd>
            counts unchanged for {span(c.rule.settleMs)}
            {c.rule.requireHandled ? ', every connected call handled or abandoned' : ''}
          </dd>
          <dt>Contacts called</dt>
          <dd>
            {c.expectedContacts === null ? 'unknown' : int(c.expectedContacts)} (from{' '}
            {c.expectedFrom})
          </dd>
          <dt>Attempts reached the contacts</dt>
          <dd>{yes(c.attemptsReachedContacts)}</dd>
          <dt>Every connected call handled</dt>
          <dd>{yes(c.allConnectedHandled)}</dd>
          <dt>Counts stable for</dt>
          <dd>{span(c.stableForMs)}</dd>
          <dt>Checks</dt>
          <dd>{int(c.checks)}</dd>
          {c.recheck && (
            <>
              <dt>Re-checked</dt>
              <dd>
                revision {c.recheck.previousRevision}
                {c.recheck.previousVerdict ? ` (${c.recheck.previousVerdict})` : ''}, generated{' '}
                {utc(c.recheck.previousGeneratedAt)}
              </dd>
            </>
          )}
        </>
      )}
      <dt>Waited</dt>
      <dd>{span(report.waitedMs)}</dd>
      <dt>Window (UTC)</dt>
      <dd>
        {utc(report.interval.split('/')[0])} – {utc(report.interval.split('/')[1])}
        {report.window ? ` (start: ${report.window.startFrom}, end: ${report.window.endFrom})` : ''}
      </dd>
    </dl>
  );
}

function Headline({ report }: { report: Report }) {
  const m = report.metrics;
  const connected = m.connectedCalls ?? m.successfulContacts;
  const items: [string, string, string?][] = [
    ['Attempts', int(m.totalCallsAttempted)],
    ['Connected', int(connected), pct(m.connectRate ?? m.contactRate)],
    [
      'Abandoned',
      m.abandonedCalls === undefined ? '–' : int(m.abandonedCalls),
      m.abandonRate === undefined ? undefined : pct(m.abandonRate),
    ],
    ['Avg handle time', secs(m.avgHandleTimeSeconds)],
  ];
  if (m.handledCalls !== undefined) items.push(['Handled', int(m.handledCalls)]);
  if (m.avgTalkSeconds !== undefined) items.push(['Avg talk', secs(m.avgTalkSeconds)]);
  if (m.avgHoldSeconds !== undefined) items.push(['Avg hold', secs(m.avgHoldSeconds)]);
  if (m.avgAcwSeconds !== undefined) items.push(['Avg after-call work', secs(m.avgAcwSeconds)]);
  return (
    <dl class="figures" id="headline">
      {items.map(([label, value, rate]) => (
        <div>
          <dt>{label}</dt>
          <dd>
            {value}
            {rate !== undefined && <small> · {rate}</small>}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** The compliance flag: a badge (its text says it; the colour only repeats it). */
export function ComplianceBadge({ report }: { report: Report }) {
  if (report.compliance?.over !== true) return null;
  return (
    <span class="badge compliance-over" data-compliance="over">
      abandon rate over limit
    </span>
  );
}

const LIMIT_SOURCES = {
  campaign: "the campaign's own abandonRate target",
  ABANDON_RATE_LIMIT: 'ABANDON_RATE_LIMIT',
} as const;

/** The compliance abandon rate, the rule it was computed by, its limit and the verdict. */
function ComplianceFacts({ report }: { report: Report }) {
  const c = report.compliance;
  if (c === undefined)
    return (
      <p class="note" id="compliance">
        No compliance figures in this report.
      </p>
    );
  return (
    <dl class="facts" id="compliance" data-over={c.over ? 'true' : 'false'}>
      <dt>Compliance abandon rate</dt>
      <dd>
        {pct(c.abandonRate)} <ComplianceBadge report={report} />
      </dd>
      <dt>Counted over</dt>
      <dd>
        {c.denominator} · {c.rule}
      </dd>
      <dt>Limit</dt>
      <dd>
        {c.limit === null || c.limitSource === null
          ? 'no check (ABANDON_RATE_LIMIT=0)'
          : `${pct(c.limit)} (${LIMIT_SOURCES[c.limitSource]})`}
      </dd>
      <dt>Campaign target</dt>
      <dd>{c.campaignTarget == null ? 'none' : pct(c.campaignTarget)}</dd>
      <dt>Configuration</dt>
      <dd>
        {c.configVersion === null
          ? 'not archived (no campaign version)'
          : `campaign version ${c.configVersion}, archived in campaign_configurations`}
      </dd>
    </dl>
  );
}

const NO_REPORT: Partial<Record<RunStage, string>> = {
  received: 'The finish was received; the analytics have not started yet.',
  validating: 'The campaign is being checked in Genesys Cloud.',
  waiting_for_analytics: 'Waiting for the analytics to be complete.',
  delivering: 'The report is being written to the warehouse.',
  rejected: 'The campaign was not reported.',
  failed: 'No report was delivered.',
};

/** `/admin/reports/:reportId`: one run's report as people read it, and its trail. */
export function ReportPage(props: {
  nonce: string;
  reportId: string;
  run: StoredRun | undefined;
  copy: ReportCopy | undefined;
  others: StoredRun[];
  othersMore: boolean;
  nowMs: number;
}) {
  const { run, copy, reportId, nowMs } = props;
  const report = copy?.report;
  const campaignId = run?.campaignId ?? report?.campaignId ?? '';
  const name = report?.campaignName ?? run?.summary?.campaignName;
  const runId = run?.runId ?? `run-${reportId.slice(4)}`;
  const analyticsJob = run?.replays ? replayJobId(runId, run.replays) : runId;
  return (
    <Layout title={name ?? campaignId} nonce={props.nonce}>
      <p class="muted">
        <a href="/admin/reports">latest runs</a> ›{' '}
        <a href={`/admin/reports?campaign=${encodeURIComponent(campaignId)}`}>{campaignId}</a>
      </p>
      <h1>
        {name ?? campaignId} {run && <StageBadge stage={run.stage} />}{' '}
        {report && <ComplianceBadge report={report} />}
      </h1>
      <p class="id">
        campaign {campaignId} · report {reportId} · run {runId}
        {report ? ` · revision ${report.revision ?? 1}${report.final ? ' (final)' : ''}` : ''}
      </p>
      <p>
        {run ? `${run.status} ` : ''}
        {run ? (
          <>
            at <time datetime={run.occurredAt}>{utc(run.occurredAt)}</time> · received{' '}
            {age(run.createdAt, nowMs)}
          </>
        ) : (
          'the run record has expired'
        )}
      </p>
      <div class="actions">
        {report && (
          <>
            <a href={`/admin/reports/${reportId}/report.json`} download={`${reportId}.json`}>
              Download JSON
            </a>
            <a href={`/admin/reports/${reportId}/report.csv`} download={`${reportId}.csv`}>
              Download CSV
            </a>
          </>
        )}
        <a href={`/admin/queues/queue/analytics/${encodeURIComponent(analyticsJob)}`}>
          analytics job in Bull Board
        </a>
        {report && (
          <a href={`/admin/queues/queue/warehouse/${encodeURIComponent(reportId)}`}>
            warehouse job in Bull Board
          </a>
        )}
      </div>
      {run?.lastError !== undefined && (
        <p class="error" id="last-error">
          Last error: {run.lastError}
        </p>
      )}

      {report ? (
        <>
          <h2>Headline</h2>
          <Headline report={report} />
          <h2>Compliance</h2>
          <ComplianceFacts report={report} />
          <h2>Per hour</h2>
          {report.hourly !== undefined && report.hourly.length > 0 ? (
            <HourlyChart report={report} />
          ) : (
            <p class="note" id="no-hourly">
              {copy?.omitted.includes('hourly')
                ? 'The hourly series was too large to keep with the run; download the JSON from the warehouse.'
                : 'No hourly data in this report.'}
            </p>
          )}
          <h2>Wrap-up codes</h2>
          {report.wrapUpCodes !== undefined && report.wrapUpCodes.length > 0 ? (
            <>
              <WrapUpChart codes={report.wrapUpCodes} />
              {copy?.omitted.includes('wrapUpCodes') && (
                <p class="muted">Only the largest codes were kept with the run.</p>
              )}
            </>
          ) : (
            <p class="note">No wrap-up codes in this report.</p>
          )}
          <h2>Completeness</h2>
          <CompletenessFacts report={report} />
        </>
      ) : (
        <p class="note" id="no-report">
          {(run && NO_REPORT[run.stage]) ?? 'No report is kept for this run.'}
          {run?.outcome !== undefined && run.outcome !== run.stage ? ` (${run.outcome})` : ''}
        </p>
      )}

      <h2>Run trail</h2>
      {run ? (
        <div class="scroll">
          <Trail run={run} nowMs={nowMs} />
        </div>
      ) : (
        <p class="muted">The run record has expired (RUN_RETENTION_HOURS).</p>
      )}
      {run && (
        <p class="muted">
          {run.eventIds.length} event{run.eventIds.length === 1 ? '' : 's'}
          {run.replays ? ` · replayed ${run.replays}×` : ''}
          {run.shape ? ` · via ${run.shape}` : ''}
          {run.revision !== undefined ? ` · revision ${run.revision} confirmed` : ''}
        </p>
      )}

      <h2>Other runs of this campaign</h2>
      {props.others.length === 0 ? (
        <p class="muted">None kept.</p>
      ) : (
        <ul class="others">
          {props.others.map((o) => (
            <li>
              <a href={reportHref(o.runId)}>{utc(o.occurredAt)}</a> <StageBadge stage={o.stage} />{' '}
              <span class="muted">{o.status}</span>
            </li>
          ))}
        </ul>
      )}
      {props.othersMore && (
        <p>
          <a href={`/admin/reports?campaign=${encodeURIComponent(campaignId)}`}>
            all runs of {campaignId}
          </a>
        </p>
      )}
    </Layout>
  );
}

/** A short page saying what went wrong (404, 400, 503). */
export function MessagePage(props: { nonce: string; title: string; message: string }) {
  return (
    <Layout title={props.title} nonce={props.nonce}>
      <h1>{props.title}</h1>
      <p class="note">{props.message}</p>
      <p>
        <a href="/admin/reports">latest runs</a>
      </p>
    </Layout>
  );
}
