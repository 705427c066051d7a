/**
 * `pnpm start`: ingest + worker + the bundled Genesys Cloud simulator + the embedded warehouse in
 * one process, needing only Redis. Prints the URLs, credentials and one sample command.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { createIngest, serveIngest, type Ingest, type RunningIngest } from '@wrapup/ingest';
import { startWorkerRuntime, type WorkerRuntime } from '@wrapup/worker';
import { DEMO_CAMPAIGN_IDS, startSimulator, type Simulator } from '@wrapup/genesys-sim';
import { ConfigError, loadConfig, type Config } from '@wrapup/shared';
import { banner } from './start/banner';
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

/** Prints one line, closes whatever already started (briefly), and exits 1. */
async function abort(line: string): Promise<never> {
  process.stderr.write(`${line}\n`);
  const deadline = setTimeout(() => process.exit(1), 3_000);
  deadline.unref();
  await stopAll(1_000).catch(() => undefined);
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

async function stopAll(workerTimeoutMs: number): Promise<void> {
  const { server, ingest, worker, sim } = started;
  await server?.close(Math.min(workerTimeoutMs, 5_000));
  await ingest?.close();
  await worker?.close(workerTimeoutMs);
  await sim?.close();
}

const ownGenesys = usesOwnGenesys(userEnv);
const port = simPort(userEnv);
if (typeof port === 'string') await abort(`wrapup: ${port}`);

// 1. Config problems first (with a stand-in simulator address), then Redis, so each says one thing.
const standIn: SimTarget = { url: 'http://127.0.0.1:8787', clientId: 'x', clientSecret: 'x' };
const precheck = await loadOrAbort(layerDevEnv(userEnv, ownGenesys ? {} : { sim: standIn }).env);
const redis = await probeRedis(precheck.redisUrl);
if (!redis.ok) await abort(redisProblemLine(redactUrl(precheck.redisUrl), redis.reason));

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

const logger: Logger = pino({
  level: config.logLevel,
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
  redact: {
    paths: ['*.authorization', '*.password', '*.secret', '*["x-api-key"]'],
    censor: '[redacted]',
  },
});

// 4. Ingest and worker in this process.
try {
  started.ingest = createIngest(config, { logger: logger.child({ service: 'ingest' }) });
} catch (err) {
  await abort(`wrapup: ${messageOf(err)}`);
}
const ingest = started.ingest as Ingest;
if (!(await ingest.ready(3_000)))
  await abort(redisProblemLine(redactUrl(config.redisUrl), 'not ready'));
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
if (config.warehouse.url === undefined && !existsSync(join(dataDir, 'warehouse'))) {
  process.stdout.write(
    `wrapup: creating the embedded warehouse in ${displayPath(join(dataDir, 'warehouse'))} (first start only, a few seconds)\n`,
  );
}
try {
  started.worker = await startWorkerRuntime(config, {
    logger: logger.child({ service: 'worker' }),
  });
} catch (err) {
  await abort(`wrapup: the worker could not start: ${messageOf(err)}`);
}

// 5. What to do next.
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

const server = started.server as RunningIngest;
const scheme = config.ingest.tls ? 'https' : 'http';
const ingestUrl = `${scheme}://${reachableHost(config.ingest.host)}:${server.public.port}`;
// with ADMIN_PORT the dashboard and admin API live on their own listener
const adminUrl = server.admin ? `${scheme}://${reachableHost(config.ingest.host)}:${server.admin.port}` : ingestUrl;
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
const session: DevSession = {
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
};
const file = sessionPath(dataDir);
await writeSession(file, session);
process.stdout.write(
  banner({
    session: { ...session, sample },
    sessionFile: displayPath(file),
    sampleCommand: sampleCommand({ webhookUrl: session.webhookUrl, apiKey, sample }),
    ownGenesys,
    logLevel: config.logLevel,
  }),
);

// 6. Ctrl-C / SIGTERM: stop accepting, close ingest, worker, simulator; a second signal forces.
let stoppingSince: number | undefined;
function stop(signal: NodeJS.Signals): void {
  if (stoppingSince !== undefined) {
    // One Ctrl-C can arrive twice (the terminal signals the whole group, and pnpm/tsx relay it).
    if (Date.now() - stoppingSince < 1_000) return;
    process.stderr.write(`wrapup: ${signal} again, exiting without waiting\n`);
    process.exit(1);
  }
  stoppingSince = Date.now();
  process.stdout.write(
    `wrapup: ${signal}, stopping (active jobs get up to ${config.shutdownTimeoutMs} ms)\n`,
  );
  const hard = setTimeout(() => {
    process.stderr.write('wrapup: shutdown took too long, exiting\n');
    process.exit(1);
  }, config.shutdownTimeoutMs + 5_000);
  hard.unref();
  stopAll(config.shutdownTimeoutMs).then(
    () => {
      process.stdout.write('wrapup: stopped\n');
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`wrapup: shutdown failed: ${messageOf(err)}\n`);
      process.exit(1);
    },
  );
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
