import { afterEach, describe, expect, it } from 'vitest';
import { startJsonReceiver, type JsonReceiver } from '@wrapup/shared/testing';
import { createLogger } from '../logger';
import { createWarehouseSink } from './warehouse';
import { echoesReportId } from './warehouse-http';
import { sampleReport } from './warehouse-testkit';

const logger = createLogger({ level: 'silent' });

describe('HTTP warehouse sink', () => {
  let receiver: JsonReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  const sinkFor = (url: string) =>
    createWarehouseSink({ url, table: 'unused', dataDir: '' }, logger, { timeoutMs: 2_000 });

  it('posts the report with an idempotency key and confirms on a 2xx echoing the reportId', async () => {
    receiver = await startJsonReceiver((req) => ({
      status: 201,
      body: { reportId: (req.body as { reportId: string }).reportId, stored: true },
    }));
    const { report } = sampleReport();
    const sink = sinkFor(receiver.url);
    expect(sink.kind).toBe('http');
    await expect(sink.write(report)).resolves.toEqual({ confirmed: true });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]?.headers['idempotency-key']).toBe(report.reportId);
    expect(receiver.requests[0]?.body).toEqual(report);
  });

  it('accepts a nested echo', async () => {
    const { report } = sampleReport();
    receiver = await startJsonReceiver(() => ({
      status: 200,
      body: { data: { reportId: report.reportId } },
    }));
    await expect(sinkFor(receiver.url).write(report)).resolves.toEqual({ confirmed: true });
  });

  it('does not count a 200 without the echo, another reportId, or a non-2xx as written', async () => {
    const { report } = sampleReport();
    const answers = [
      { status: 200, body: { ok: true } },
      { status: 200, body: { reportId: 'rpt-someone-else' } },
      { status: 200 },
      { status: 503, body: { reportId: report.reportId } },
    ];
    receiver = await startJsonReceiver((_req, i) => answers[i] ?? { status: 500 });
    const sink = sinkFor(receiver.url);
    await expect(sink.write(report)).rejects.toThrow(/without echoing reportId/);
    await expect(sink.write(report)).rejects.toThrow(/without echoing reportId/);
    await expect(sink.write(report)).rejects.toThrow(/without a JSON body/);
    await expect(sink.write(report)).rejects.toThrow(/answered 503/);
    expect(receiver.requests).toHaveLength(4); // no hidden client-side retries
  });

  it('fails when the warehouse is unreachable', async () => {
    receiver = await startJsonReceiver();
    const url = receiver.url;
    await receiver.close();
    receiver = undefined;
    await expect(sinkFor(url).write(sampleReport().report)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('echoesReportId', () => {
  it('finds the id at the top or nested, never a different one', () => {
    expect(echoesReportId({ reportId: 'rpt-1' }, 'rpt-1')).toBe(true);
    expect(echoesReportId({ result: [{ reportId: 'rpt-1' }] }, 'rpt-1')).toBe(true);
    expect(echoesReportId({ reportId: 'rpt-2' }, 'rpt-1')).toBe(false);
    expect(echoesReportId('rpt-1', 'rpt-1')).toBe(false);
    expect(echoesReportId(null, 'rpt-1')).toBe(false);
  });
});
