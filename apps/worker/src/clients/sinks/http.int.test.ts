import { afterEach, describe, expect, it } from 'vitest';
import { startJsonReceiver, type JsonReceiver } from '@wrapup/shared/testing';
import { createLogger } from '../../logger';
import { createWarehouseSink } from './factory';
import { echoesReportId } from './http';
import { sampleReport, sampleReportV20 } from '../../testing/sinks';

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

  it('posts a v2.1 report and a v2.0-shaped one each exactly as they are', async () => {
    receiver = await startJsonReceiver((req) => ({
      status: 200,
      body: { reportId: (req.body as { reportId: string }).reportId },
    }));
    const sink = sinkFor(receiver.url);
    const current = sampleReport({ complete: false, revision: 2, final: true }).report;
    const old = sampleReportV20().report;
    await expect(sink.write(current)).resolves.toEqual({ confirmed: true });
    await expect(sink.write(old)).resolves.toEqual({ confirmed: true });
    const [posted, postedOld] = receiver.requests.map((r) => r.body);
    expect(posted).toEqual(current);
    expect(posted).toMatchObject({
      metadata: { version: '2.1' },
      metrics: { abandonedCalls: 9, abandonRate: 0.02, avgAcwSeconds: 12.75 },
      completeness: { verdict: 'max-wait' },
      revision: 2,
      final: true,
    });
    expect(postedOld).toEqual(old); // nothing filled in: the receiver sees what was built
    expect(postedOld).not.toHaveProperty('revision');
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
