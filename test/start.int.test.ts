import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CAMPAIGN_IDS } from '@wrapup/genesys-sim';
import { LIVE_DEMO } from '../scripts/start/live-demo';
import {
  createRedisFixture,
  freePort,
  spawnTs,
  waitFor,
  type AppProcess,
  type RedisFixture,
} from '@wrapup/shared/testing';

const root = fileURLToPath(new URL('..', import.meta.url));
const BANNER_END = 'Ctrl-C stops everything';

/** Variables a developer's shell might carry that would change what pnpm start does. */
const neutral = {
  GENESYS_CLIENT_ID: '',
  GENESYS_CLIENT_SECRET: '',
  GENESYS_API_URL: '',
  GENESYS_LOGIN_URL: '',
  WEBHOOK_SECRET: '',
  WEBHOOK_API_KEYS: '',
  WEBHOOK_AUTH: '',
  DASHBOARD_USER: '',
  DASHBOARD_PASSWORD: '',
  WAREHOUSE_URL: '',
};

function sh(command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Run {
  runId: string;
  stage: string;
  reportId?: string;
  observedCount?: number;
}

describe('pnpm start (scripts/start.ts)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'wrapup-start-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  function start(env: Record<string, string>): AppProcess {
    const app = spawnTs('scripts/start.ts', { ...neutral, ...env }, root);
    cleanups.push(async () => void (await app.kill('SIGKILL')));
    return app;
  }

  it('prints the banner; its sample command leaves a delivered run and the guide report in the embedded warehouse', async () => {
    const fx: RedisFixture = await createRedisFixture('start');
    cleanups.push(() => fx.cleanup());
    const dataDir = tempDir();
    const ingestPort = await freePort();
    const app = start({
      REDIS_URL: fx.redisUrl,
      QUEUE_PREFIX: fx.prefix,
      INGEST_PORT: String(ingestPort),
      SIM_PORT: String(await freePort()),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: '2000',
    });
    const base = `http://127.0.0.1:${ingestPort}`;
    const startedAfter = Date.now();
    // Whatever waits for the health check (a script running `pnpm simulate` next) finds this
    // start's session file already written.
    await waitFor(
      async () => {
        try {
          return (await fetch(`${base}/healthz`)).ok;
        } catch {
          return false;
        }
      },
      { timeoutMs: 25_000, intervalMs: 20, what: 'the health check' },
    );
    const early = JSON.parse(readFileSync(join(dataDir, 'dev-session.json'), 'utf8')) as {
      startedAt: string;
      webhookUrl: string;
    };
    expect(Date.parse(early.startedAt)).toBeGreaterThanOrEqual(startedAfter - 1000);
    expect(early.webhookUrl).toBe(`${base}/webhooks/genesys`);

    await waitFor(() => app.output().includes(BANNER_END), {
      timeoutMs: 25_000,
      intervalMs: 100,
      what: 'the banner',
    });

    const out = app.output();
    expect(out).toContain(`webhook    ${base}/webhooks/genesys`);
    const login = /dashboard {2}(\S+)\s+user (\S+) \/ password (\S+)/.exec(out);
    expect(login?.[1]).toBe(`${base}/admin/queues`);
    const user = login?.[2] ?? '';
    const password = login?.[3] ?? '';
    expect(user).toBe('admin');
    expect(password.length).toBeGreaterThanOrEqual(12);
    expect(out).toContain(`runs API   ${base}/admin/campaigns/<campaignId>/runs`);
    expect(out).toContain('pnpm simulate');

    const lines = out.split('\n');
    const command =
      lines[lines.findIndex((l) => l.startsWith('Send a sample event')) + 2]?.trim() ?? '';
    expect(command).toMatch(/^curl .*'x-api-key: wk_[\w-]+'/);
    expect(command).toContain(DEMO_CAMPAIGN_IDS.guide);

    // The session file pnpm simulate reads: owner-only, same credentials as the banner.
    const sessionFile = join(dataDir, 'dev-session.json');
    expect(statSync(sessionFile).mode & 0o777).toBe(0o600);
    const session = JSON.parse(readFileSync(sessionFile, 'utf8')) as Record<string, unknown>;
    expect(session).toMatchObject({
      webhookUrl: `${base}/webhooks/genesys`,
      dashboard: { user, password },
    });
    expect(command).toContain(`x-api-key: ${String(session.apiKey)}`);

    const sent = await sh(command);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ status: 'accepted' });

    const auth = {
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    };
    expect((await fetch(`${base}/admin/queues`, { headers: auth })).status).toBe(200);
    const run = await waitFor(
      async () => {
        const res = await fetch(`${base}/admin/campaigns/${DEMO_CAMPAIGN_IDS.guide}/runs`, {
          headers: auth,
        });
        const body = (await res.json()) as { runs: Run[] };
        return body.runs.find((r) => r.stage === 'delivered');
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'the sample run to be delivered' },
    );
    expect(run.observedCount).toBe(1500);

    // The live demo: a campaign finishes in the simulator after the banner and its report arrives
    // over the Notification API WebSocket; nobody posts it to the webhook.
    expect(out).toContain('a live demo campaign finishes in the simulator');
    await waitFor(() => app.output().includes('wrapup: its report is in the warehouse'), {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'the live demo report',
    });
    const liveRes = await fetch(`${base}/admin/campaigns/${LIVE_DEMO.id}/runs`, { headers: auth });
    const live = ((await liveRes.json()) as { runs: (Run & { shape?: string })[] }).runs;
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ stage: 'delivered', shape: 'notification' });

    await app.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(app.output()).toContain('wrapup: stopped');

    const db = await PGlite.create(join(dataDir, 'warehouse'));
    try {
      const { rows } = await db.query<Record<string, unknown>>(
        'select campaign_id, status, total_calls_attempted, successful_contacts, contact_rate, avg_handle_time_seconds, complete from campaign_reports where report_id = $1',
        [run.reportId],
      );
      expect(rows).toEqual([
        {
          campaign_id: DEMO_CAMPAIGN_IDS.guide,
          status: 'completed',
          total_calls_attempted: 1500,
          successful_contacts: 450,
          contact_rate: 0.3,
          avg_handle_time_seconds: 120,
          complete: true,
        },
      ]);
    } finally {
      await db.close();
    }
  }, 75_000);

  it('says in one line that Redis is not reachable and exits 1, quickly', async () => {
    const closedPort = await freePort();
    const started = Date.now();
    const app = start({
      REDIS_URL: `redis://127.0.0.1:${closedPort}`,
      INGEST_PORT: String(await freePort()),
      SIM_PORT: String(await freePort()),
      DATA_DIR: tempDir(),
    });
    expect(await app.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(app.output().trim().split('\n')).toEqual([
      `wrapup: Redis is not reachable at redis://127.0.0.1:${closedPort} — start one with "redis-server" or "docker compose up -d redis", or set REDIS_URL`,
    ]);
  });
});
