import { describe, expect, it } from 'vitest';
import { isJsonContentType } from './content-type';
import { readBodyLimited } from './read-body';

const streamOf = (chunks: Uint8Array[], onPull: () => void) =>
  new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        onPull();
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    },
    { highWaterMark: 0 },
  );

describe('readBodyLimited', () => {
  it('returns the bytes up to the limit', async () => {
    const req = new Request('http://x/', { method: 'POST', body: 'abcd' });
    const read = await readBodyLimited(req, 4);
    expect(read.kind).toBe('ok');
    if (read.kind === 'ok') expect(Buffer.from(read.bytes).toString()).toBe('abcd');
  });

  it('refuses a declared length over the limit without reading', async () => {
    let pulls = 0;
    const req = new Request('http://x/', {
      method: 'POST',
      body: streamOf([new Uint8Array(10)], () => pulls++),
      headers: { 'content-length': '10' },
      duplex: 'half',
    });
    expect(await readBodyLimited(req, 5)).toEqual({ kind: 'too_large' });
    expect(pulls).toBe(0);
  });

  it('stops reading as soon as the count passes the limit', async () => {
    let pulls = 0;
    const chunks = Array.from({ length: 100 }, () => new Uint8Array(1024));
    const req = new Request('http://x/', {
      method: 'POST',
      body: streamOf(chunks, () => pulls++),
      duplex: 'half',
    });
    expect(await readBodyLimited(req, 3000)).toEqual({ kind: 'too_large' });
    expect(pulls).toBeLessThan(10);
  });

  it('gives up at the deadline on a body that stops arriving, and cancels the stream', async () => {
    let cancelled = false;
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(3));
      },
      cancel() {
        cancelled = true;
      },
    });
    const req = new Request('http://x/', { method: 'POST', body: stalled, duplex: 'half' });
    const started = performance.now();
    expect(await readBodyLimited(req, 1000, undefined, { timeoutMs: 100 })).toEqual({
      kind: 'timeout',
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(cancelled).toBe(true);
  });

  it('finishes a body that arrives in time under a deadline', async () => {
    const req = new Request('http://x/', { method: 'POST', body: 'abcd' });
    expect((await readBodyLimited(req, 10, undefined, { timeoutMs: 1000 })).kind).toBe('ok');
  });
});

describe('isJsonContentType', () => {
  it.each([
    ['application/json', true],
    ['Application/JSON; charset=utf-8', true],
    ['application/cloudevents+json', true],
    ['text/json', true],
    ['text/plain', false],
    ['application/jsonp', false],
    ['', false],
    [null, false],
  ])('%s -> %s', (value, expected) => {
    expect(isJsonContentType(value)).toBe(expected);
  });
});
