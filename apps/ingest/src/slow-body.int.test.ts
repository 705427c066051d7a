import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@wrapup/shared/testing';
import { startListening, type Listening } from './testing/serve';
import { API_KEY, campaignId, guideEvent } from './testing/app';

const TIMEOUT_MS = 500;

let l: Listening;
beforeAll(async () => {
  l = await startListening({
    BODY_READ_TIMEOUT_MS: String(TIMEOUT_MS),
    MAX_UNVERIFIED_BODIES: '2',
  });
});
afterAll(async () => {
  await l.close();
});

/** Well-formed Standard Webhooks headers with a current timestamp and a signature nobody made. */
const fakeSigned = () => ({
  'webhook-id': `msg_${randomBytes(6).toString('hex')}`,
  'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
  'webhook-signature': `v1,${randomBytes(32).toString('base64')}`,
});

interface RawAnswer {
  status: number;
  head: string;
  body: string;
  /** ms from sending the headers to the first byte of the answer, and to the server closing. */
  answeredMs: number;
  closedMs: number;
}

/**
 * A raw HTTP/1.1 POST to the webhook: the headers (declaring `length` bytes) and `first`, then
 * nothing more, or with `trickle` one more byte every 100 ms, until the server closes.
 */
function rawPost(
  headers: Record<string, string>,
  first: string,
  length: number,
  opts: { trickle?: boolean } = {},
) {
  const socket = connect(l.running.public.port, '127.0.0.1');
  const lines = Object.entries({
    host: 'localhost',
    connection: 'close',
    'content-type': 'application/json',
    'content-length': String(length),
    ...headers,
  });
  const started = performance.now();
  socket.write(
    `POST /webhooks/genesys HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${first}`,
  );
  let drip: NodeJS.Timeout | undefined;
  if (opts.trickle) drip = setInterval(() => socket.write('x'), 100);
  socket.on('error', () => undefined);
  let text = '';
  let answeredMs = -1;
  socket.on('data', (d: Buffer) => {
    if (answeredMs < 0) answeredMs = performance.now() - started;
    text += d.toString();
  });
  const answer = new Promise<RawAnswer>((resolve) =>
    socket.on('close', () => {
      clearInterval(drip);
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({
        status: Number(head.split(' ')[1] ?? 0),
        head,
        body,
        answeredMs,
        closedMs: performance.now() - started,
      });
    }),
  );
  return { socket, answer };
}

const connections = () =>
  new Promise<number>((resolve, reject) =>
    l.running.public.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );

/** One request on a connection of its own (no keep-alive), so the server's connection count means what the test holds. */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${l.running.public.url}${path}`,
      { method, headers, agent: false },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const postKeyed = (body: string) =>
  send(
    'POST',
    '/webhooks/genesys',
    { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body,
  );

async function counter(outcome: string): Promise<number> {
  const { text } = await send('GET', '/metrics');
  const m = new RegExp(`^wrapup_ingest_requests_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(
    text,
  );
  return Number(m?.[1] ?? NaN);
}

const event = () =>
  JSON.stringify(guideEvent(campaignId('slow'), { timestamp: new Date().toISOString() }));

describe('body-read deadline (BODY_READ_TIMEOUT_MS)', () => {
  it('answers 408 to a signed request that trickles its body, closes the connection and keeps nothing', async () => {
    const before = await counter('timeout');
    const { answer } = rawPost(fakeSigned(), '{"even', 100_000, { trickle: true });
    const a = await answer;
    expect(a.status).toBe(408);
    expect(a.head).toMatch(/^connection: close$/im);
    expect(JSON.parse(a.body)).toEqual({ error: 'request_timeout', timeoutMs: TIMEOUT_MS });
    expect(a.answeredMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(a.answeredMs).toBeLessThan(TIMEOUT_MS + 700);
    // the server, not the client, ended the connection, though the client kept sending
    expect(a.closedMs).toBeLessThan(TIMEOUT_MS + 1_500);
    await waitFor(async () => (await connections()) === 0, {
      timeoutMs: 2_000,
      what: 'the server to drop the socket',
    });
    expect(await counter('timeout')).toBe(before + 1);
  });

  it('gives an unsigned (API-key) body the same deadline', async () => {
    const a = await rawPost({ 'x-api-key': API_KEY }, '{', 500).answer;
    expect(a.status).toBe(408);
    expect(a.answeredMs).toBeLessThan(TIMEOUT_MS + 700);
  });

  it('does not touch a body that arrives in time', async () => {
    expect((await postKeyed(event())).status).toBe(202);
  });
});

describe('cap on bodies awaiting signature verification (MAX_UNVERIFIED_BODIES)', () => {
  it('refuses a third concurrent signed-but-stalled request at once with 503 busy, while API-key requests go on', async () => {
    const busyBefore = await counter('busy');
    const unavailableBefore = await counter('unavailable');
    const stalled = [rawPost(fakeSigned(), '{', 200), rawPost(fakeSigned(), '{', 200)];
    // both are being read (holding the two slots) once the server has their sockets
    await waitFor(async () => (await connections()) === 2, {
      timeoutMs: 2_000,
      what: 'two stalled connections',
    });
    await new Promise((r) => setTimeout(r, 50));

    const third = await rawPost(fakeSigned(), '{', 200).answer;
    expect(third.status).toBe(503);
    expect(third.answeredMs).toBeLessThan(200);
    expect(third.head).toMatch(/^retry-after: 1$/im);
    expect(JSON.parse(third.body)).toEqual({ error: 'busy' });

    expect((await postKeyed(event())).status).toBe(202);

    const answers = await Promise.all(stalled.map((s) => s.answer));
    expect(answers.map((a) => a.status)).toEqual([408, 408]);
    expect(await counter('busy')).toBe(busyBefore + 1);
    expect(await counter('unavailable')).toBe(unavailableBefore);

    // the slots are free again: two more signed requests are read (and fail verification: 401)
    const again = await Promise.all([
      rawPost(fakeSigned(), '{}', 2).answer,
      rawPost(fakeSigned(), '{}', 2).answer,
    ]);
    expect(again.map((a) => a.status)).toEqual([401, 401]);
  });
});

describe('a body whose signature is pending and fails', () => {
  it('is unauthorized (401) when it arrives whole with a signature nobody made', async () => {
    const before = await counter('unauthorized');
    const res = await send(
      'POST',
      '/webhooks/genesys',
      { 'content-type': 'application/json', ...fakeSigned() },
      event(),
    );
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text)).toEqual({ error: 'unauthorized' });
    expect(await counter('unauthorized')).toBe(before + 1);
  });

  it('counts as unauthorized, not invalid, when the sender hangs up mid-body', async () => {
    const unauthorized = await counter('unauthorized');
    const invalid = await counter('invalid');
    const { socket, answer } = rawPost(fakeSigned(), '{"eventType":', 1_000);
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    await answer;
    await waitFor(async () => (await counter('unauthorized')) === unauthorized + 1, {
      timeoutMs: 2_000,
      what: 'the unauthorized count',
    });
    expect(await counter('invalid')).toBe(invalid);
  });
});
