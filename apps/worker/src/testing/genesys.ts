import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startSimulator, type Simulator } from '@wrapup/genesys-sim';
import type { SimOptions } from '@wrapup/genesys-sim';
import { createGenesysClient, type GenesysClientOptions } from '../clients/genesys/client';

/** Test helpers for the Genesys client: a simulator and a pino logger whose lines can be read. */

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export function captureLogger() {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return { logger, lines };
}

export async function simWith(opts: SimOptions = {}): Promise<Simulator> {
  return startSimulator({ demoCampaigns: false, analyticsLagMs: 0, ...opts });
}

export function clientFor(sim: Simulator, opts: Partial<GenesysClientOptions> = {}) {
  const { logger, lines } = captureLogger();
  const client = createGenesysClient({
    apiUrl: sim.url,
    loginUrl: sim.url,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    timeoutMs: 2000,
    logger,
    defaultRetryAfterMs: 100,
    retryBaseMs: 50,
    maxRetryTimeMs: 10_000,
    ...opts,
  });
  return { client, lines };
}

export const tokenRequests = async (sim: Simulator) =>
  (await sim.requestLog()).filter((r) => r.method === 'POST' && r.path === '/oauth/token');

export const apiRequests = async (sim: Simulator) =>
  (await sim.requestLog()).filter((r) => r.path.startsWith('/api/'));
