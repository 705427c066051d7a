import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes ISO UTC time, pid, hostname and service on every line', () => {
    const { lines, stream } = capture();
    createLogger({ service: 'worker', level: 'info' }, stream).info({ jobId: 'j1' }, 'hello');
    expect(lines[0]).toMatchObject({
      service: 'worker',
      pid: process.pid,
      jobId: 'j1',
      msg: 'hello',
      level: 30,
    });
    expect(typeof lines[0]?.hostname).toBe('string');
    expect(lines[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('redacts secrets at the top level and nested (headers, config sections)', () => {
    const { lines, stream } = capture();
    createLogger({ service: 'ingest', level: 'info' }, stream).info(
      {
        password: 'p0',
        req: {
          headers: {
            authorization: 'Basic abc',
            'x-api-key': 'wk_1',
            cookie: 'c',
            'content-type': 'json',
          },
        },
        genesys: { clientId: 'id', clientSecret: 's3cret' },
        config: {
          notifyUrls: ['https://hooks.example/T0KEN'],
          redisUrl: 'redis://:pw@h',
          dashboard: { password: 'd' },
        },
        webhook: { secrets: ['whsec'], apiKeys: ['k'] },
        apiKey: 'k2',
      },
      'config',
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of [
      'p0',
      'Basic abc',
      'wk_1',
      's3cret',
      'T0KEN',
      ':pw@',
      'whsec',
      '"k"',
      'k2',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({
      req: { headers: { authorization: '[redacted]', 'content-type': 'json' } },
      genesys: { clientId: 'id', clientSecret: '[redacted]' },
      config: { dashboard: { password: '[redacted]' } },
    });
  });

  it('logs { err } with type, message, stack and cause', () => {
    const { lines, stream } = capture();
    const err = new Error('warehouse write failed', { cause: new Error('connection reset') });
    createLogger({ service: 'worker', level: 'info' }, stream).error({ err }, 'write failed');
    const logged = lines[0]?.err as { type: string; message: string; stack: string };
    expect(logged.type).toBe('Error');
    expect(logged.message).toBe('warehouse write failed: connection reset');
    expect(logged.stack).toMatch(/^Error: warehouse write failed\n\s+at /);
    expect(logged.stack).toContain('caused by: Error: connection reset');
  });
});
