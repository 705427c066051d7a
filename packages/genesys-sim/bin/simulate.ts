import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sampleCampaign, type SampleEvent } from '../src/sample';
import { deliverFinish, type SenderAuth, type SenderShape } from '../src/sender';
import {
  AdminApiError,
  acceptedRuns,
  formatTable,
  notAccepted,
  progressBar,
  runSimulation,
  summaryRows,
  waitForRuns,
  type SimulatedEvent,
} from '../src/simulate';

const SHAPES = ['guide', 'eventbridge', 'notification', 'mixed'] as const;
const SESSION_FILE = 'dev-session.json';

/** What `pnpm start` writes to `${DATA_DIR}/dev-session.json` (scripts/start/session.ts), as read here. */
interface DevSession {
  webhookUrl?: string;
  ingestUrl?: string;
  /** Where /admin/* is served (ADMIN_PORT), when not on ingestUrl. */
  adminUrl?: string;
  simUrl?: string;
  apiKey?: string;
  webhookSecret?: string;
  dashboard?: { user: string; password: string };
  warehouse?: string;
  sample?: SampleEvent;
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function count(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw))
    fail(`${name}: must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** The workspace root above `from` (where pnpm-workspace.yaml is), if any. */
function workspaceRoot(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Finds the session `pnpm start` left: DATA_DIR (default `data`) resolved against the directory
 * pnpm was invoked from (INIT_CWD; `pnpm simulate` itself runs in packages/genesys-sim), then
 * against the workspace root.
 */
function findSession(env: NodeJS.ProcessEnv): { path: string; session: DevSession } | undefined {
  const dataDir = env.DATA_DIR?.trim() || 'data';
  const bases = [env.INIT_CWD, workspaceRoot(process.cwd()), process.cwd()];
  for (const base of bases) {
    if (!base) continue;
    const path = resolve(base, dataDir, SESSION_FILE);
    if (!existsSync(path)) continue;
    try {
      return { path, session: JSON.parse(readFileSync(path, 'utf8')) as DevSession };
    } catch (err) {
      fail(`${path}: not readable JSON (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  return undefined;
}

const env = (name: string) => process.env[name]?.trim() || undefined;

/** Redraws one progress line on a terminal; elsewhere prints a line when the count changes. */
function progressPrinter(): { update(done: number, total: number): void; end(): void } {
  const tty = process.stderr.isTTY;
  let last = '';
  return {
    update(done, total) {
      const line = progressBar(done, total);
      if (line === last) return;
      last = line;
      process.stderr.write(tty ? `\r${line}` : `${line}\n`);
    },
    end() {
      if (tty && last) process.stderr.write('\n');
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string' },
      shape: { type: 'string' },
      duplicates: { type: 'string' },
      'no-unknown': { type: 'boolean' },
      sample: { type: 'boolean' },
      'no-wait': { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'pnpm simulate [--count N] [--shape guide|eventbridge|notification|mixed] [--duplicates N] [--no-unknown]',
    );
    console.log('              [--sample] [--no-wait] [--timeout SECONDS]');
    console.log(
      '  --sample   send only the guide demo campaign event that pnpm start printed (signed when needed)',
    );
    console.log('  --no-wait  deliver and exit, without waiting for the runs');
    console.log(
      `reads ${'${DATA_DIR}'}/${SESSION_FILE} written by pnpm start; these override it: WEBHOOK_URL, SIM_URL,`,
    );
    console.log(
      '  INGEST_URL, WEBHOOK_SECRET (signs) or WEBHOOK_API_KEYS (first key as x-api-key), DASHBOARD_USER/_PASSWORD',
    );
    return;
  }
  const shape = values.shape ?? 'mixed';
  if (!(SHAPES as readonly string[]).includes(shape))
    fail(`--shape: must be one of ${SHAPES.join(', ')}`);
  const timeoutMs = count(values.timeout, '--timeout', 120) * 1000;

  const found = findSession(process.env);
  const session = found?.session ?? {};
  if (found) console.log(`using ${found.path} (from pnpm start)`);

  const webhookUrl =
    env('WEBHOOK_URL') ?? session.webhookUrl ?? 'http://127.0.0.1:3000/webhooks/genesys';
  const simUrl = env('SIM_URL') ?? session.simUrl ?? 'http://127.0.0.1:8787';
  // the runs are watched through the admin API: the ADMIN_PORT listener when there is one
  const ingestUrl =
    env('ADMIN_URL') ??
    env('INGEST_URL') ??
    session.adminUrl ??
    session.ingestUrl ??
    new URL(webhookUrl).origin;
  const auth: SenderAuth = {};
  const secret = env('WEBHOOK_SECRET');
  const apiKey = env('WEBHOOK_API_KEYS')?.split(',')[0]?.trim();
  if (secret) auth.secret = secret;
  else if (apiKey) auth.apiKey = apiKey;
  else if (session.webhookSecret) auth.secret = session.webhookSecret;
  else if (session.apiKey) auth.apiKey = session.apiKey;
  else
    console.log(
      'no WEBHOOK_SECRET or WEBHOOK_API_KEYS: sending unauthenticated (ingest needs WEBHOOK_AUTH=none)',
    );
  const user = env('DASHBOARD_USER') ?? session.dashboard?.user;
  const password = env('DASHBOARD_PASSWORD') ?? session.dashboard?.password;
  const dashboard = user && password ? { user, password } : undefined;

  let events: SimulatedEvent[];
  if (values.sample) {
    const sample = session.sample;
    if (!sample)
      fail(
        'no sample event: run pnpm start (with the bundled simulator) first; it writes one to data/dev-session.json',
      );
    console.log(`sample ${sample.campaignId} ("${sample.name}") -> webhook ${webhookUrl}`);
    const delivery = await deliverFinish({
      webhookUrl,
      shape: 'guide',
      auth,
      campaign: sampleCampaign(sample),
    });
    events = [
      {
        campaignId: sample.campaignId,
        kind: 'completed',
        shape: 'guide',
        expected: undefined,
        delivery,
      },
    ];
  } else {
    console.log(`simulator ${simUrl} -> webhook ${webhookUrl}`);
    const result = await runSimulation({
      simUrl,
      webhookUrl,
      count: count(values.count, '--count', 3),
      shape: shape as SenderShape | 'mixed',
      duplicates: count(values.duplicates, '--duplicates', 1),
      includeUnknown: !values['no-unknown'],
      auth,
      log: (line) => console.log(line),
    });
    events = result.events;
  }

  const rejected = events.filter(notAccepted);
  const targets = acceptedRuns(events);
  console.log(
    `${events.length} events delivered, ${targets.length} runs accepted, ${rejected.length} events not accepted`,
  );
  if (rejected.some((e) => e.delivery.finals.every((a) => a.status === null)))
    console.log(`could not reach the ingest at ${webhookUrl}: is pnpm start running?`);

  let waited;
  if (values['no-wait']) {
    console.log('not waiting for the runs (--no-wait)');
  } else if (!dashboard) {
    console.log(
      'not waiting for the runs: set DASHBOARD_USER and DASHBOARD_PASSWORD (or run pnpm start) to watch them',
    );
  } else if (targets.length > 0) {
    const progress = progressPrinter();
    try {
      waited = await waitForRuns({
        ingestUrl,
        dashboard,
        targets,
        timeoutMs,
        onProgress: (done, total) => progress.update(done, total),
      });
    } catch (err) {
      progress.end();
      if (err instanceof AdminApiError) fail(err.message);
      throw err;
    }
    progress.end();
  }

  const landedIn = session.warehouse ?? 'the warehouse the worker writes to (WAREHOUSE_URL)';
  console.log('');
  console.log(formatTable(summaryRows(events, waited, landedIn)));
  if (waited && !waited.allFinal)
    console.log(
      `\nsome runs were still in progress after ${timeoutMs / 1000} s; see their stages in the dashboard`,
    );
  const ok = rejected.length === 0 && (waited === undefined || waited.allFinal);
  process.exitCode = ok ? 0 : 1;
}

main().catch((err: unknown) =>
  fail(`simulate failed: ${err instanceof Error ? err.message : String(err)}`),
);
