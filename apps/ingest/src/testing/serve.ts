/** Helpers for tests of the listeners (ADMIN_PORT, TLS, body deadlines): a real ingest on real ports. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig, type Config } from '@wrapup/shared';
import { createRedisFixture, freePort, type RedisFixture } from '@wrapup/shared/testing';
import { createIngest, type Ingest } from '../ingest';
import { serveIngest, type RunningIngest } from '../serve';
import { API_KEY, DASHBOARD, SECRET_A } from './app';

export interface Listening {
  fx: RedisFixture;
  config: Config;
  ingest: Ingest;
  running: RunningIngest;
  close(): Promise<void>;
}

/** createIngest + serveIngest on free ports, as main.ts does, with a test's env on top. */
export async function startListening(env: Record<string, string> = {}): Promise<Listening> {
  const fx = await createRedisFixture('listen');
  const config = loadConfig({
    REDIS_URL: fx.redisUrl,
    QUEUE_PREFIX: fx.prefix,
    LOG_LEVEL: 'silent',
    INGEST_PORT: String(await freePort()),
    WEBHOOK_SECRET: SECRET_A,
    WEBHOOK_API_KEYS: API_KEY,
    DASHBOARD_USER: DASHBOARD.user,
    DASHBOARD_PASSWORD: DASHBOARD.password,
    ...env,
  });
  const ingest = createIngest(config, { logger: pino({ level: 'silent' }) });
  try {
    if (!(await ingest.ready(5_000))) throw new Error('redis not ready');
    const running = await serveIngest(ingest, config.ingest);
    return {
      fx,
      config,
      ingest,
      running,
      async close() {
        await running.close(500);
        await ingest.close();
        await fx.cleanup();
      },
    };
  } catch (err) {
    await ingest.close();
    await fx.cleanup();
    throw err;
  }
}

/** A self-signed certificate for localhost and 127.0.0.1, made with the openssl command. */
export function makeCertificate(dir: string, name: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.cert.pem`);
  const keyFile = join(dir, `${name}.key.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}
