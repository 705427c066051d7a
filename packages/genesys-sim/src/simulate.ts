import { randomUUID } from 'node:crypto';
import { FINAL_STAGES, type RunStage } from '@wrapup/shared';
import type { CampaignView, CopyView, RunResult } from './control';
import type { ExpectedTotals } from './model/types';
import { deliverFinish, type DeliveryResult, type SenderAuth, type SenderShape } from './sender';

export interface SimulationOptions {
  /** Base URL of a running simulator (its `/__sim` control API is used). */
  simUrl: string;
  webhookUrl: string;
  /** Campaigns to create and finish (default 3); with 2 or more, the last one is stopped. */
  count?: number;
  /** One shape for every event, or `mixed` to rotate through all three (default). */
  shape?: SenderShape | 'mixed';
  /** Extra deliveries of every other event (default 1). */
  duplicates?: number;
  auth?: SenderAuth;
  /** Also send an event for a campaign the simulator does not know (default true). */
  includeUnknown?: boolean;
  /** Contacts per campaign (default 200). */
  contactCount?: number;
  /** How long each campaign dialled, in seconds (default 600). */
  durationSeconds?: number;
  /**
   * Mean handle time of the calls in ms (default 5000, so the calls still in progress at the
   * finish end within seconds and the runs settle while `pnpm simulate` waits; 120000 is realistic).
   */
  avgHandleMs?: number;
  retryDelayMs?: number;
  /** Progress lines (default: nothing). */
  log?: (line: string) => void;
}

export interface SimulatedEvent {
  campaignId: string;
  kind: 'completed' | 'stopped' | 'unknown';
  shape: SenderShape;
  /** The simulator's true totals (undefined for the unknown campaign). */
  expected: ExpectedTotals | undefined;
  delivery: DeliveryResult;
}

export interface SimulationResult {
  events: SimulatedEvent[];
}

const SHAPES: SenderShape[] = ['guide', 'eventbridge', 'notification'];

/** A `/__sim` call: POST with a JSON body, or GET when `body` is undefined. */
async function control<T>(simUrl: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(new URL(`/__sim${path}`, simUrl), {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`simulator ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** The answers of every delivery, e.g. `202 accepted, 200 duplicate`. */
export function describeDelivery(result: DeliveryResult): string {
  return result.finals
    .map((a) => {
      if (a.status === null) return `network error (${a.error ?? 'unknown'})`;
      const status = (a.body as { status?: unknown } | null)?.status;
      return `${a.status}${typeof status === 'string' ? ` ${status}` : ''}${a.attempt > 0 ? ` after ${a.attempt} retries` : ''}`;
    })
    .join(', ');
}

/**
 * Creates campaigns in a running simulator, finishes them (the last one stopped early when there
 * are two or more), and delivers their events to the webhook, some duplicated, plus one event for
 * an unknown campaign.
 */
export async function runSimulation(opts: SimulationOptions): Promise<SimulationResult> {
  const count = opts.count ?? 3;
  const log = opts.log ?? (() => undefined);
  const shapeAt = (i: number): SenderShape =>
    opts.shape === undefined || opts.shape === 'mixed'
      ? (SHAPES[i % SHAPES.length] as SenderShape)
      : opts.shape;
  const events: SimulatedEvent[] = [];

  const plans: {
    kind: SimulatedEvent['kind'];
    campaign: CampaignView | undefined;
    expected?: ExpectedTotals;
    /** The copy the finish published (the event's body, with the real version and dateModified). */
    copy?: CopyView;
  }[] = [];
  for (let i = 0; i < count; i++) {
    const campaign = await control<CampaignView>(opts.simUrl, '/campaigns', {
      name: `Simulated campaign ${i + 1}`,
      contactCount: opts.contactCount ?? 200,
    });
    const stop = count >= 2 && i === count - 1;
    const run = await control<RunResult>(
      opts.simUrl,
      `/campaigns/${encodeURIComponent(campaign.id)}/${stop ? 'stop' : 'complete'}`,
      {
        durationSeconds: opts.durationSeconds ?? 600,
        avgHandleMs: opts.avgHandleMs ?? 5000,
      },
    );
    const { copies } = await control<{ copies: CopyView[] }>(
      opts.simUrl,
      `/campaigns/${encodeURIComponent(campaign.id)}/copies`,
    );
    plans.push({
      kind: stop ? 'stopped' : 'completed',
      campaign: run.campaign,
      expected: run.expected,
      ...(copies.length > 0 ? { copy: copies[copies.length - 1] } : {}),
    });
  }
  if (opts.includeUnknown ?? true) plans.push({ kind: 'unknown', campaign: undefined });

  for (const [i, plan] of plans.entries()) {
    const shape = shapeAt(i);
    const campaignId = plan.campaign?.id ?? `unknown-${randomUUID()}`;
    const delivery = await deliverFinish({
      webhookUrl: opts.webhookUrl,
      shape,
      ...(opts.auth ? { auth: opts.auth } : {}),
      duplicates: i % 2 === 0 ? (opts.duplicates ?? 1) : 0,
      ...(opts.retryDelayMs !== undefined ? { retryDelayMs: opts.retryDelayMs } : {}),
      campaign: {
        id: campaignId,
        ...(plan.campaign ? { name: plan.campaign.name } : {}),
        status: plan.copy?.campaignStatus ?? (plan.kind === 'stopped' ? 'off' : 'complete'),
        occurredAt: plan.copy?.at ?? plan.campaign?.dateModified ?? new Date().toISOString(),
        ...(plan.copy ? { copy: plan.copy.body } : {}),
        durationSeconds: opts.durationSeconds ?? 600,
        // A stopped campaign did not dial its whole list, so its list size is no expected count.
        ...(plan.expected && plan.kind === 'completed'
          ? { contactCount: plan.expected.contactCount }
          : {}),
      },
    });
    log(`${plan.kind.padEnd(9)} ${campaignId} as ${shape}: ${describeDelivery(delivery)}`);
    events.push({ campaignId, kind: plan.kind, shape, expected: plan.expected, delivery });
  }
  return { events };
}

// ---- After delivery: wait for the runs and show where their reports landed ----

/** One run the ingest accepted (a duplicate delivery joins the same run). */
export interface RunTarget {
  campaignId: string;
  runId: string;
  event: SimulatedEvent;
}

/** What the admin API shows of a run (the fields the summary needs). */
export interface RunView {
  runId: string;
  campaignId: string;
  stage: RunStage;
  reportId?: string;
  outcome?: string;
  lastError?: string;
  observedCount?: number;
  expectedCount?: number | null;
}

const acceptedAnswer = (body: unknown): string | undefined => {
  const b = body as { status?: unknown; jobId?: unknown } | null;
  return (b?.status === 'accepted' || b?.status === 'duplicate') && typeof b.jobId === 'string'
    ? b.jobId
    : undefined;
};

/** The distinct runs the ingest accepted (its `jobId` is the run id). */
export function acceptedRuns(events: SimulatedEvent[]): RunTarget[] {
  const seen = new Map<string, RunTarget>();
  for (const event of events) {
    for (const answer of event.delivery.finals) {
      const runId = acceptedAnswer(answer.body);
      if (runId !== undefined && !seen.has(runId))
        seen.set(runId, { campaignId: event.campaignId, runId, event });
    }
  }
  return [...seen.values()];
}

/** True when the ingest took in none of the event's deliveries (e.g. 401, network error). */
export const notAccepted = (event: SimulatedEvent): boolean =>
  !event.delivery.finals.some((a) => acceptedAnswer(a.body) !== undefined);

export const isFinalStage = (stage: string | undefined): boolean =>
  stage !== undefined && (FINAL_STAGES as readonly string[]).includes(stage);

export interface WaitForRunsOptions {
  /** The ingest's base URL (the admin API lives under `/admin`). */
  ingestUrl: string;
  dashboard: { user: string; password: string };
  targets: RunTarget[];
  /** Give up after this long (default 120 s). */
  timeoutMs?: number;
  intervalMs?: number;
  onProgress?: (finished: number, total: number) => void;
}

export interface WaitForRunsResult {
  /** runId -> the run as last seen (undefined when the admin API never showed it). */
  runs: Map<string, RunView | undefined>;
  allFinal: boolean;
}

/** An admin API answer that waiting longer cannot fix (wrong credentials, admin surface off). */
export class AdminApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminApiError';
  }
}

async function campaignRuns(
  opts: Pick<WaitForRunsOptions, 'ingestUrl' | 'dashboard'>,
  campaignId: string,
): Promise<RunView[]> {
  const url = new URL(`/admin/campaigns/${encodeURIComponent(campaignId)}/runs`, opts.ingestUrl);
  const basic = Buffer.from(`${opts.dashboard.user}:${opts.dashboard.password}`).toString('base64');
  const res = await fetch(url, {
    headers: { authorization: `Basic ${basic}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (res.status === 401)
    throw new AdminApiError(
      `the ingest refused the dashboard credentials at ${url.origin}/admin (401): set DASHBOARD_USER and DASHBOARD_PASSWORD`,
    );
  if (res.status === 404)
    throw new AdminApiError(
      `the ingest at ${url.origin} has no admin API (404): it needs DASHBOARD_USER and DASHBOARD_PASSWORD`,
    );
  if (!res.ok) throw new Error(`GET ${url.pathname} answered ${res.status}`);
  return ((await res.json()) as { runs?: RunView[] }).runs ?? [];
}

/**
 * Polls `GET /admin/campaigns/:id/runs` until every target run is in a final stage (delivered,
 * incomplete, rejected, failed) or the timeout passes. Transient errors (a restart, 503) are
 * retried; wrong credentials or a disabled admin surface throw AdminApiError at once.
 */
export async function waitForRuns(opts: WaitForRunsOptions): Promise<WaitForRunsResult> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const runs = new Map<string, RunView | undefined>(opts.targets.map((t) => [t.runId, undefined]));
  const finished = () => [...runs.values()].filter((r) => isFinalStage(r?.stage)).length;
  opts.onProgress?.(0, opts.targets.length);
  for (;;) {
    const open = opts.targets.filter((t) => !isFinalStage(runs.get(t.runId)?.stage));
    for (const campaignId of new Set(open.map((t) => t.campaignId))) {
      try {
        for (const run of await campaignRuns(opts, campaignId))
          if (runs.has(run.runId)) runs.set(run.runId, run);
      } catch (err) {
        if (err instanceof AdminApiError) throw err;
      }
    }
    const done = finished();
    opts.onProgress?.(done, opts.targets.length);
    if (done === opts.targets.length) return { runs, allFinal: true };
    if (Date.now() >= deadline) return { runs, allFinal: false };
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}

/** `[#####-----] 3/6 runs finished` */
export function progressBar(done: number, total: number, width = 10): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} runs finished`;
}

/** Aligns rows into columns separated by two spaces; the first row is the header. */
export function formatTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

const shorten = (text: string, max = 60) =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

/**
 * One row per delivered event: campaign, kind, shape, the ingest's answers, the run's stage, the
 * report id and where the report landed (`landedIn` for delivered or incomplete reports).
 */
export function summaryRows(
  events: SimulatedEvent[],
  result: WaitForRunsResult | undefined,
  landedIn: string,
): string[][] {
  const rows = [['campaign', 'kind', 'shape', 'answer(s)', 'run stage', 'report id', 'landed in']];
  const targets = acceptedRuns(events);
  for (const event of events) {
    const answers = describeDelivery(event.delivery);
    const target = targets.find((t) => t.event === event);
    const run = target ? result?.runs.get(target.runId) : undefined;
    let stage = 'not accepted';
    if (target) stage = run?.stage ?? (result ? 'not seen' : 'not watched');
    let landed = '-';
    if (run?.stage === 'delivered' || run?.stage === 'incomplete') landed = landedIn;
    else if (run?.stage === 'rejected' || run?.stage === 'failed')
      landed = `nowhere: ${shorten(run.outcome ?? run.lastError ?? run.stage)}`;
    rows.push([
      event.campaignId,
      event.kind,
      event.shape,
      answers,
      stage,
      run?.reportId ?? '-',
      landed,
    ]);
  }
  return rows;
}
