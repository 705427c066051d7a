/**
 * `pnpm start`: ingest + worker + the bundled Genesys Cloud simulator + the embedded warehouse in
 * one process, needing only Redis. Prints the URLs, credentials and one sample command.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createIngest, serveIngest, type Ingest, type RunningIngest } from '@wrapup/ingest';
import { startWorkerRuntime, type WorkerRuntime } from '@wrapup/worker';
import { DEMO_CAMPAIGN_IDS, startSimulator, type Simulator } from '@wrapup/genesys-sim';
import {
  ConfigError,
  createLogger,
  loadConfig,
  onShutdown,
  runSteps,
  type Config,
  type ShutdownStep,
} from '@wrapup/shared';
import { banner } from './start/banner';
import { runLiveDemo } from './start/live-demo';
import { layerDevEnv, simPort, usesOwnGenesys, type Env, type SimTarget } from './start/dev-env';
import { probeRedis, redisProblemLine } from './start/redis-probe';
import { sampleCommand } from './start/sample';
import {
  readSession,
  sessionPath,
  writeSession,
  type DevSession,
  type SampleEvent,
} from './start/session';
import { reachableHost, redactUrl } from './start/shell';
import { describeWarehouse, displayPath } from './start/warehouse';

const userEnv: Env = { ...process.env };
const started: {
  sim?: Simulator;
  ingest?: Ingest;
  server?: RunningIngest;
  worker?: WorkerRuntime;
} = {};

const errorCode = (err: unknown) => (err as { code?: unknown } | null)?.code;
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Prints one line, closes whatever already started (within 3 s, quietly), and exits 1. */
async function abort(line: string): Promise<never> {
  process.stderr.write(`${line}\n`);
  const quiet = createLogger({ service: 'wrapup', level: 'silent' });
  await runSteps(stopSteps(1_000), { deadlineMs: 3_000, logger: quiet });
  process.exit(1);
}

function loadOrAbort(env: Env): Promise<Config> | Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const line of err.problems) process.stderr.write(`wrapup: config error: ${line}\n`);
    return abort(
      `wrapup: fix the variable${err.problems.length > 1 ? 's' : ''} above and run pnpm start again`,
    );
  }
}

/** How long the HTTP listeners get to finish the requests in flight when stopping. */
const HTTP_CLOSE_MS = 2_000;
/** When the live demo campaign finishes, after the banner. */
const LIVE_DEMO_AFTER_MS = 8_000;
/** Stops the live demo (step 7) when wrapup stops. */
const demo = new AbortController();

/** Closing whatever has started, in order: listeners, ingest queues, worker, simulator. */
function stopSteps(workerTimeoutMs: number): ShutdownStep[] {
  const { server, ingest, worker, sim } = started;
  const httpCloseMs = Math.min(workerTimeoutMs, HTTP_CLOSE_MS);
  const workerSteps = worker?.closeSteps(workerTimeoutMs) ?? [];
  return [
    { name: 'live demo', run: () => demo.abort() },
    ...(server ? [{ name: 'http listeners', run: () => server.close(httpCloseMs) }] : []),
    ...(ingest ? [{ name: 'ingest queues and redis', run: () => ingest.close() }] : []),
    ...workerSteps.map((step) => ({ ...step, name: `worker ${step.name}` })),
    ...(sim ? [{ name: 'simulator', run: () => sim.close() }] : []),
  ];
}

/** Where Redis was looked for, for the problem line: REDIS_URL (no password) or the cluster's seeds. */
const redisWhere = (c: Config) =>
  c.redisClusterNodes.length > 0
    ? `the Redis Cluster ${c.redisClusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`
    : redactUrl(c.redisUrl);

const ownGenesys = usesOwnGenesys(userEnv);
const port = simPort(userEnv);
if (typeof port === 'string') await abort(`wrapup: ${port}`);

// 1. Config problems first (with a stand-in simulator address), then Redis, so each says one thing.
const standIn: SimTarget = { url: 'http://127.0.0.1:8787', clientId: 'x', clientSecret: 'x' };
const precheck = await loadOrAbort(layerDevEnv(userEnv, ownGenesys ? {} : { sim: standIn }).env);
const redis = await probeRedis(precheck);
if (!redis.ok) await abort(redisProblemLine(redisWhere(precheck), redis.reason));

// 2. The simulator, unless the user brought their own Genesys client.
let sim: SimTarget | undefined;
if (!ownGenesys) {
  const simPortNumber = typeof port === 'number' ? port : 8787;
  try {
    started.sim = await startSimulator({ port: simPortNumber, host: '127.0.0.1' });
  } catch (err) {
    if (errorCode(err) === 'EADDRINUSE') {
      await abort(
        `wrapup: port ${simPortNumber} for the Genesys simulator is taken — stop what uses it or set SIM_PORT to a free port`,
      );
    }
    await abort(`wrapup: the Genesys simulator could not start: ${messageOf(err)}`);
  }
  const s = started.sim as Simulator;
  sim = { url: s.url, clientId: s.clientId, clientSecret: s.clientSecret };
}

// 3. The config: the user's environment over the demo defaults.
const dataDir = resolve(precheck.warehouse.dataDir);
const previous = await readSession(sessionPath(dataDir));
const layered = layerDevEnv(userEnv, {
  ...(sim ? { sim } : {}),
  ...(previous ? { reuse: previous.generated } : {}),
});
const config = await loadOrAbort(layered.env);

// One stdout for the three loggers (whole lines, in order); the launcher's own lines (start and
// stop) at info whatever LOG_LEVEL says.
const logFor = (service: string) =>
  createLogger({ service, level: config.logLevel }, process.stdout);
const launcherLog = createLogger({ service: 'wrapup', level: 'info' }, process.stdout);

// 4. Ingest and worker in this process.
try {
  started.ingest = createIngest(config, { logger: logFor('ingest') });
} catch (err) {
  await abort(`wrapup: ${messageOf(err)}`);
}
const ingest = started.ingest as Ingest;
if (!(await ingest.ready(3_000))) await abort(redisProblemLine(redisWhere(config), 'not ready'));

// 5. The session (what `pnpm simulate` and the banner need).
async function guideSample(s: Simulator): Promise<SampleEvent> {
  const campaign = s.state.campaigns.get(DEMO_CAMPAIGN_IDS.guide);
  if (!campaign) throw new Error('the simulator has no guide demo campaign');
  const expected = await s.expected(campaign.id);
  const firstStart = expected.firstStart
    ? Date.parse(expected.firstStart)
    : campaign.dateModified - 3_600_000;
  return {
    campaignId: campaign.id,
    name: campaign.name,
    occurredAt: new Date(campaign.dateModified).toISOString(),
    durationSeconds: Math.ceil((campaign.dateModified - firstStart) / 1000),
    contactCount: campaign.contactCount,
  };
}

// The session file is written before the ingest listens (so whatever waits for its health check
// reads this session, never the last one), from the configured ports; with a port of 0 the
// system picks one, and the file is written once the ports are known.
const scheme = config.ingest.tls ? 'https' : 'http';
const urlsFor = (publicPort: number, adminPort: number | undefined) => {
  const ingestUrl = `${scheme}://${reachableHost(config.ingest.host)}:${publicPort}`;
  // with ADMIN_PORT the dashboard and admin API live on their own listener
  const adminUrl =
    adminPort !== undefined
      ? `${scheme}://${reachableHost(config.ingest.host)}:${adminPort}`
      : ingestUrl;
  return { ingestUrl, adminUrl };
};
const dashboard = config.dashboard ?? { user: 'admin', password: '' };
const apiKey = config.webhook.apiKeys[0];
const webhookSecret = config.webhook.secrets[0];
const sample: SampleEvent = started.sim
  ? await guideSample(started.sim)
  : {
      campaignId: 'YOUR-CAMPAIGN-ID',
      name: 'your campaign',
      occurredAt: new Date().toISOString(),
      durationSeconds: 3600,
      contactCount: 100,
    };
const sessionFor = ({ ingestUrl, adminUrl }: ReturnType<typeof urlsFor>): DevSession => ({
  version: 1,
  pid: process.pid,
  startedAt: new Date().toISOString(),
  ingestUrl,
  adminUrl,
  webhookUrl: `${ingestUrl}/webhooks/genesys`,
  dashboardUrl: `${adminUrl}/admin/queues`,
  dashboard,
  ...(apiKey !== undefined ? { apiKey } : {}),
  ...(webhookSecret !== undefined ? { webhookSecret } : {}),
  ...(started.sim ? { simUrl: started.sim.url, sample } : {}),
  warehouse: describeWarehouse(config.warehouse),
  generated: layered.generated,
});
const file = sessionPath(dataDir);
const portsFixed = config.ingest.port !== 0 && config.ingest.adminPort !== 0;
let session = sessionFor(urlsFor(config.ingest.port, config.ingest.adminPort));
if (portsFixed) await writeSession(file, session);

try {
  started.server = await serveIngest({ app: ingest.app, adminApp: ingest.adminApp }, config.ingest);
} catch (err) {
  if (errorCode(err) === 'EADDRINUSE') {
    await abort(
      `wrapup: port ${config.ingest.port} for the ingest is taken — stop what uses it or set INGEST_PORT to a free port`,
    );
  }
  await abort(
    `wrapup: the ingest could not listen on ${config.ingest.host}:${config.ingest.port}: ${messageOf(err)}`,
  );
}
const server = started.server as RunningIngest;
if (!portsFixed) {
  session = sessionFor(urlsFor(server.public.port, server.admin?.port));
  await writeSession(file, session);
}

if (config.warehouse.url === undefined && !existsSync(join(dataDir, 'warehouse'))) {
  process.stdout.write(
    `wrapup: creating the embedded warehouse in ${displayPath(join(dataDir, 'warehouse'))} (first start only, a few seconds)\n`,
  );
}
try {
  started.worker = await startWorkerRuntime(config, {
    logger: logFor('worker'),
  });
} catch (err) {
  await abort(`wrapup: the worker could not start: ${messageOf(err)}`);
}

// 6. What to do next.
process.stdout.write(
  banner({
    session: { ...session, sample },
    sessionFile: displayPath(file),
    sampleCommand: sampleCommand({ webhookUrl: session.webhookUrl, apiKey, sample }),
    ownGenesys,
    logLevel: config.logLevel,
    liveDemo:
      started.sim && config.eventSource.kind === 'websocket'
        ? { afterMs: LIVE_DEMO_AFTER_MS }
        : undefined,
  }),
);

// 7. With the simulator and the Notification API listener, a campaign finishes a few seconds from
// now and its report arrives with no webhook call: the newcomer sees the whole path work.
if (started.sim && started.worker && config.eventSource.kind === 'websocket') {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  runLiveDemo({
    sim: started.sim,
    runs: started.worker.runs,
    finishAfterMs: LIVE_DEMO_AFTER_MS,
    timeoutMs: 90_000,
    say,
    signal: demo.signal,
  }).catch((err: unknown) => {
    if (!demo.signal.aborted) say(`wrapup: the live demo stopped: ${messageOf(err)}`);
  });
}

// 8. Ctrl-C / SIGTERM: stop accepting, close ingest, worker, simulator, all within one deadline
// (active jobs get SHUTDOWN_TIMEOUT_MS); a second signal forces.
onShutdown(stopSteps(config.shutdownTimeoutMs), {
  deadlineMs: config.shutdownTimeoutMs + HTTP_CLOSE_MS + 1_000,
  logger: launcherLog,
  exit: (code) => {
    if (code === 0) process.stdout.write('wrapup: stopped\n');
    else process.stderr.write('wrapup: not everything stopped cleanly (see the log lines above)\n');
    process.exit(code);
  },
});
