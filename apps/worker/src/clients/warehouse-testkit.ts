/**
 * Test support for the warehouse and notify stages (imported by *.int.test.ts only): sample
 * reports, local JSON receivers and a TCP proxy that can refuse connections. Real sockets, no mocks.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import {
  createConnection,
  createServer as createTcpServer,
  type AddressInfo,
  type Socket,
} from 'node:net';
import {
  REPORT_GENERATED_BY,
  REPORT_VERSION,
  reportIdFor,
  runIdFor,
  type Report,
} from '@wrapup/shared';
import type { RunStore } from '@wrapup/runs';

export function sampleReport(
  opts: {
    status?: 'completed' | 'stopped';
    campaignId?: string;
    occurredAt?: string;
    complete?: boolean;
  } = {},
): { runId: string; report: Report } {
  const status = opts.status ?? 'completed';
  const campaignId = opts.campaignId ?? `camp-${randomBytes(4).toString('hex')}`;
  const occurredAt = opts.occurredAt ?? '2023-10-27T14:30:00.000Z';
  const runId = runIdFor(campaignId, occurredAt);
  const complete = opts.complete ?? true;
  return {
    runId,
    report: {
      reportId: reportIdFor(runId),
      campaignId,
      completionTimestamp: occurredAt,
      metrics: {
        totalCallsAttempted: 1500,
        successfulContacts: 450,
        contactRate: 0.3,
        avgHandleTimeSeconds: 120.5,
        status,
      },
      metadata: { generatedBy: REPORT_GENERATED_BY, version: REPORT_VERSION },
      endTime: status === 'completed' ? occurredAt : null,
      dataComplete: complete,
      expectedCount: 1500,
      observedCount: complete ? 1500 : 1200,
      waitedMs: 30_000,
      interval: '2023-10-27T08:25:00.000Z/2023-10-27T14:35:00.000Z',
      generatedAt: '2023-10-27T14:31:00.123Z',
    },
  };
}

/** A run known to the RunStore (as the ingest would record it) with its report. */
export async function sampleRun(
  runs: RunStore,
  opts: Parameters<typeof sampleReport>[0] = {},
): Promise<{ runId: string; report: Report }> {
  const sample = sampleReport(opts);
  const result = await runs.intake({
    eventId: `evt-${randomBytes(6).toString('hex')}`,
    campaignId: sample.report.campaignId,
    status: sample.report.metrics.status,
    occurredAt: sample.report.completionTimestamp,
    now: new Date().toISOString(),
  });
  if (result.runId !== sample.runId)
    throw new Error(`run id mismatch: ${result.runId} vs ${sample.runId}`);
  return sample;
}

export interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface JsonReceiver {
  url: string;
  requests: Received[];
  close(): Promise<void>;
}

/** A local HTTP server on an ephemeral port; `respond` gets each JSON body and its 0-based index. */
export async function startJsonReceiver(
  respond: (req: Received, index: number) => { status: number; body?: unknown },
): Promise<JsonReceiver> {
  const requests: Received[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const received = { at: Date.now(), headers: req.headers, body };
      const index = requests.push(received) - 1;
      const answer = respond(received, index);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TcpProxy {
  port: number;
  /** 'refuse' closes every new connection at once (and drops open ones); 'forward' pipes to the target. */
  setMode(mode: 'refuse' | 'forward'): void;
  /** Connections accepted so far (refused ones included). */
  connections: number;
  close(): Promise<void>;
}

export async function startTcpProxy(
  target: { host: string; port: number },
  initial: 'refuse' | 'forward',
): Promise<TcpProxy> {
  let mode = initial;
  const open = new Set<Socket>();
  const track = (s: Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => s.destroy());
  };
  const proxy: TcpProxy = {
    port: 0,
    connections: 0,
    setMode(next) {
      mode = next;
      if (next === 'refuse') for (const s of open) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createTcpServer((client) => {
    proxy.connections++;
    track(client);
    if (mode === 'refuse') {
      client.destroy();
      return;
    }
    const upstream = createConnection(target);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  return proxy;
}
