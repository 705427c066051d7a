import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connect,
  createServer as createTlsServer,
  type SecureVersion,
  type TLSSocket,
} from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_REDIS_URL,
  deleteKeys,
  freePort,
  spawnTs,
  uniquePrefix,
  waitFor,
} from '@wrapup/shared/testing';
import { Redis } from 'ioredis';
import { makeCertificate, startListening, type Listening } from './testing/serve';
import { API_KEY, campaignId, guideEvent } from './testing/app';

const dir = mkdtempSync(join(tmpdir(), 'wrapup-tls-'));
const pairA = makeCertificate(dir, 'pair-a');
const pairB = makeCertificate(dir, 'pair-b');
const ca = [readFileSync(pairA.certFile), readFileSync(pairB.certFile)];
const fingerprint = (certFile: string) =>
  new X509Certificate(readFileSync(certFile)).fingerprint256;
const A = fingerprint(pairA.certFile);
const B = fingerprint(pairB.certFile);

/** The files the ingest is configured with; a test copies pair A or B over them. */
const live = { certFile: join(dir, 'live.cert.pem'), keyFile: join(dir, 'live.key.pem') };
const install = (pair: { certFile: string; keyFile: string }) => {
  copyFileSync(pair.certFile, live.certFile);
  copyFileSync(pair.keyFile, live.keyFile);
};
const tlsEnv = () => ({ TLS_CERT_FILE: live.certFile, TLS_KEY_FILE: live.keyFile });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Answer {
  status: number;
  body: string;
  protocol: string | null;
  peer: string;
  reused: boolean;
}

/** GET over HTTPS trusting pairs A and B; `agent` (keep-alive) to reuse a connection, else a fresh one. */
function get(
  url: string,
  opts: { agent?: Agent; minVersion?: SecureVersion; maxVersion?: SecureVersion } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca, agent: opts.agent ?? false, minVersion: opts.minVersion, maxVersion: opts.maxVersion },
      (res) => {
        const socket = res.socket as TLSSocket;
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            protocol: socket.getProtocol(),
            peer: socket.getPeerCertificate().fingerprint256,
            reused: req.reusedSocket,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A TLS handshake offering only TLS 1.0-1.1 (security level 0, so this OpenSSL really offers it). */
function handshakeTls11(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca,
      servername: 'localhost',
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    socket.once('secureConnect', () => {
      const protocol = socket.getProtocol() ?? '';
      socket.destroy();
      resolve(protocol);
    });
    socket.once('error', reject);
  });
}

describe('HTTPS (TLS_CERT_FILE / TLS_KEY_FILE), in process, with ADMIN_PORT', () => {
  let l: Listening;
  beforeAll(async () => {
    install(pairA);
    l = await startListening({ ...tlsEnv(), ADMIN_PORT: String(await freePort()) });
  });
  afterAll(async () => {
    await l.close();
  });

  it('serves HTTPS on both listeners to TLS 1.2 and TLS 1.3 clients', async () => {
    expect(l.running.public.url).toMatch(/^https:\/\//);
    expect(l.running.admin?.url).toMatch(/^https:\/\//);
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const pub = await get(`${l.running.public.url}/healthz`, {
        minVersion: version,
        maxVersion: version,
      });
      expect(pub).toMatchObject({ status: 200, protocol: version, peer: A });
      const admin = await get(`${l.running.admin?.url}/metrics`, {
        minVersion: version,
        maxVersion: version,
      });
      expect(admin).toMatchObject({ status: 200, protocol: version, peer: A });
    }
  });

  it('takes a webhook over HTTPS on the public listener', async () => {
    const body = JSON.stringify(
      guideEvent(campaignId('tls'), { timestamp: new Date().toISOString() }),
    );
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${l.running.public.url}/webhooks/genesys`,
        {
          method: 'POST',
          ca,
          agent: false,
          headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(202);
  });

  it('refuses a TLS 1.1 client (which this OpenSSL can produce: a permissive server accepts it)', async () => {
    const permissive = createTlsServer(
      {
        cert: readFileSync(pairA.certFile),
        key: readFileSync(pairA.keyFile),
        minVersion: 'TLSv1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      },
      (s) => s.end(),
    );
    await new Promise<void>((r) => permissive.listen(0, '127.0.0.1', r));
    try {
      const address = permissive.address();
      expect(await handshakeTls11(typeof address === 'object' && address ? address.port : 0)).toBe(
        'TLSv1.1',
      );
    } finally {
      permissive.close();
    }
    await expect(handshakeTls11(l.running.public.port)).rejects.toThrow(
      /protocol version|unsupported protocol/i,
    );
    await expect(handshakeTls11(l.running.admin?.port ?? 0)).rejects.toThrow(
      /protocol version|unsupported protocol/i,
    );
  });

  it('serves no plain HTTP', async () => {
    const plain = new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `http://127.0.0.1:${l.running.public.port}/healthz`,
        { agent: false },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end();
    });
    await expect(plain).rejects.toThrow();
  });

  it('reloads the pair: a new connection gets the new certificate, an open keep-alive connection keeps working', async () => {
    install(pairA);
    l.running.reloadTls();
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
    try {
      const first = await get(`${l.running.public.url}/healthz`, { agent });
      expect(first).toMatchObject({ status: 200, peer: A, reused: false });

      install(pairB);
      l.running.reloadTls();

      expect(await get(`${l.running.public.url}/healthz`)).toMatchObject({ status: 200, peer: B });
      expect(await get(`${l.running.admin?.url}/metrics`)).toMatchObject({ status: 200, peer: B });
      // the connection opened before the reload is still the same one, still on pair A, still answering
      expect(await get(`${l.running.public.url}/readyz`, { agent })).toMatchObject({
        status: 200,
        peer: A,
        reused: true,
      });
      // TLS 1.2 is still the minimum after a reload
      await expect(handshakeTls11(l.running.public.port)).rejects.toThrow();
    } finally {
      agent.destroy();
    }
  });

  it('keeps the current pair when the new files are unusable', async () => {
    install(pairB);
    l.running.reloadTls();
    writeFileSync(live.certFile, 'not a certificate');
    expect(() => l.running.reloadTls()).toThrow();
    expect(await get(`${l.running.public.url}/healthz`)).toMatchObject({ status: 200, peer: B });
    // a certificate with the other pair's key does not match
    copyFileSync(pairA.certFile, live.certFile);
    copyFileSync(pairB.keyFile, live.keyFile);
    expect(() => l.running.reloadTls()).toThrow(/mismatch/i);
    expect(await get(`${l.running.admin?.url}/metrics`)).toMatchObject({ status: 200, peer: B });
  });
});

describe('main.ts with TLS', () => {
  const appDir = fileURLToPath(new URL('..', import.meta.url));

  it('reloads the pair on a real SIGHUP without dropping an open connection, then stops on SIGTERM', async () => {
    install(pairA);
    const port = await freePort();
    const adminPort = await freePort();
    const prefix = uniquePrefix('tls-main');
    const p = spawnTs(
      'src/main.ts',
      {
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: 'info',
        INGEST_PORT: String(port),
        ADMIN_PORT: String(adminPort),
        WEBHOOK_API_KEYS: API_KEY,
        ...tlsEnv(),
      },
      appDir,
    );
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
    try {
      await waitFor(() => p.output().includes('ingest listening'), {
        timeoutMs: 15_000,
        what: 'ingest to listen',
      });
      expect(p.output()).toContain(`"url":"https://127.0.0.1:${port}/webhooks/genesys"`);
      expect(await get(`https://127.0.0.1:${port}/healthz`, { agent })).toMatchObject({
        status: 200,
        peer: A,
      });
      expect(await get(`https://127.0.0.1:${adminPort}/metrics`)).toMatchObject({
        status: 200,
        peer: A,
      });

      install(pairB);
      p.child.kill('SIGHUP');
      await waitFor(() => p.output().includes('"msg":"reloaded"'), {
        timeoutMs: 5_000,
        what: 'the reload log line',
      });

      expect(await get(`https://127.0.0.1:${port}/healthz`)).toMatchObject({
        status: 200,
        peer: B,
      });
      expect(await get(`https://127.0.0.1:${adminPort}/metrics`)).toMatchObject({
        status: 200,
        peer: B,
      });
      expect(await get(`https://127.0.0.1:${port}/readyz`, { agent })).toMatchObject({
        status: 200,
        peer: A,
        reused: true,
      });
      expect(p.child.exitCode).toBeNull();

      agent.destroy();
      expect(await p.kill('SIGTERM')).toBe(0);
      await expect(get(`https://127.0.0.1:${port}/healthz`)).rejects.toThrow();
      await expect(get(`https://127.0.0.1:${adminPort}/metrics`)).rejects.toThrow();
    } finally {
      agent.destroy();
      await p.kill('SIGKILL');
      const redis = new Redis(TEST_REDIS_URL);
      await deleteKeys(redis, `${prefix}:*`);
      await redis.quit();
    }
  });
});
