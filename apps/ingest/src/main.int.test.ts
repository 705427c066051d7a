import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, deleteKeys, uniquePrefix, waitFor } from '@wrapup/shared/testing';
import { Redis } from 'ioredis';
import { API_KEY, campaignId, guideEvent } from './testing/app';

/** A guide event dated a minute ago (the ingest refuses events older than EVENT_MAX_AGE_DAYS). */
const recentEvent = (id: string) =>
  guideEvent(id, { timestamp: new Date(Date.now() - 60_000).toISOString() });

const appDir = fileURLToPath(new URL('..', import.meta.url));

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? '', REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe('main.ts', () => {
  it('refuses to start with WEBHOOK_AUTH=required and no secret or key, in one line', async () => {
    const p = runMain({ INGEST_PORT: String(await freePort()) });
    expect(await p.exited).toBe(1);
    const lines = p.err().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/WEBHOOK_AUTH=required needs WEBHOOK_SECRET or WEBHOOK_API_KEYS/);
  });

  it('refuses to start when TLS_CERT_FILE cannot be read, in one line', async () => {
    const p = runMain({
      INGEST_PORT: String(await freePort()),
      WEBHOOK_API_KEYS: API_KEY,
      TLS_CERT_FILE: '/nonexistent/wrapup-cert.pem',
      TLS_KEY_FILE: '/nonexistent/wrapup-key.pem',
    });
    expect(await p.exited).toBe(1);
    const lines = p.err().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^start-up error: .*wrapup-cert\.pem/);
  });

  it('with ADMIN_PORT, serves /admin and /metrics only there, and stops both listeners on SIGTERM', async () => {
    const port = await freePort();
    const adminPort = await freePort();
    const prefix = uniquePrefix('main-admin');
    const p = runMain({
      INGEST_PORT: String(port),
      ADMIN_PORT: String(adminPort),
      QUEUE_PREFIX: prefix,
      WEBHOOK_API_KEYS: API_KEY,
      DASHBOARD_USER: 'ops',
      DASHBOARD_PASSWORD: 'correct horse battery staple',
    });
    try {
      await waitFor(() => p.out().includes('ingest listening'), {
        timeoutMs: 15_000,
        what: 'ingest to listen',
      });
      expect(p.out()).toContain(`"dashboard":"http://127.0.0.1:${adminPort}/admin/queues"`);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${adminPort}/metrics`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${adminPort}/admin/queues`)).status).toBe(401);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
      await expect(fetch(`http://127.0.0.1:${adminPort}/metrics`)).rejects.toThrow();
    } finally {
      p.child.kill('SIGKILL');
      const redis = new Redis(TEST_REDIS_URL);
      await deleteKeys(redis, `${prefix}:*`);
      await redis.quit();
    }
  });

  it('serves, then shuts down gracefully on SIGTERM', async () => {
    const port = await freePort();
    const prefix = uniquePrefix('main');
    const p = runMain({
      INGEST_PORT: String(port),
      QUEUE_PREFIX: prefix,
      WEBHOOK_API_KEYS: API_KEY,
    });
    try {
      await waitFor(() => p.out().includes('ingest listening'), {
        timeoutMs: 15_000,
        what: 'ingest to listen',
      });
      const res = await fetch(`http://127.0.0.1:${port}/webhooks/genesys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify(recentEvent(campaignId('main'))),
      });
      expect(res.status).toBe(202);
      await waitFor(() => p.out().includes('event accepted'), {
        timeoutMs: 5_000,
        what: 'the accepted log line',
      });
      expect(p.out()).toMatch(/"eventId":"evt-[0-9a-f]+".*"campaignId":"main-/);
      expect(p.out()).not.toContain(API_KEY);
      // a request still arriving when SIGTERM lands is finished, not cut
      const body = JSON.stringify(recentEvent(campaignId('inflight')));
      const req = request(`http://127.0.0.1:${port}/webhooks/genesys`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': API_KEY,
          'transfer-encoding': 'chunked',
        },
      });
      const answered = new Promise<number>((resolve, reject) => {
        req.on('response', (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        });
        req.on('error', reject);
      });
      req.write(body.slice(0, 10));
      await new Promise((r) => setTimeout(r, 100));
      p.child.kill('SIGTERM');
      await waitFor(() => p.out().includes('shutting down'), {
        timeoutMs: 5_000,
        what: 'shutdown to start',
      });
      req.end(body.slice(10));
      expect(await answered).toBe(202);
      expect(await p.exited).toBe(0);
      expect(p.out()).toContain('shutting down');
    } finally {
      p.child.kill('SIGKILL');
      const redis = new Redis(TEST_REDIS_URL);
      await deleteKeys(redis, `${prefix}:*`);
      await redis.quit();
    }
  });
});
