import { IncomingMessage } from 'node:http';

export type BodyRead =
  { kind: 'ok'; bytes: Uint8Array } | { kind: 'too_large' } | { kind: 'timeout' };

export interface ReadBodyOptions {
  /** The whole body must arrive within this many ms of the call, else `timeout` (what was read is dropped). */
  timeoutMs?: number;
}

const TOO_LARGE: BodyRead = { kind: 'too_large' };
const TIMEOUT: BodyRead = { kind: 'timeout' };
const EMPTY: BodyRead = { kind: 'ok', bytes: new Uint8Array(0) };

const overLimit = (declared: string | null | undefined, limit: number) =>
  typeof declared === 'string' && /^\d+$/.test(declared.trim()) && Number(declared) > limit;

/**
 * The Node request behind a Hono context under @hono/node-server (`c.env.incoming`), when it is
 * an HTTP/1 IncomingMessage whose body nobody has touched yet; undefined otherwise (app.fetch in
 * tests, HTTP/2), and the caller reads the web Request instead.
 */
export function nodeIncoming(env: unknown): IncomingMessage | undefined {
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return undefined;
  const incoming = env.incoming;
  if (!(incoming instanceof IncomingMessage) || incoming.readableDidRead || incoming.destroyed)
    return undefined;
  return incoming;
}

/**
 * Reads a request body up to `limit` bytes. A declared Content-Length over the limit is refused
 * before reading; otherwise reading stops as soon as the count passes the limit, so the rest is
 * never buffered (the server discards it and closes the connection). With `timeoutMs`, a body
 * still incomplete after that long gives `timeout`: reading stops and the bytes so far are dropped
 * (the caller answers 408 and closes the connection), so a trickling sender holds no memory.
 *
 * With `incoming` (the Node request under @hono/node-server) the bytes come straight from it,
 * which skips the web-stream and undici Request that `request.body` would build per request.
 */
export function readBodyLimited(
  request: Request,
  limit: number,
  incoming?: IncomingMessage,
  opts: ReadBodyOptions = {},
): Promise<BodyRead> {
  if (incoming) return readIncomingLimited(incoming, limit, opts.timeoutMs);
  return readStreamLimited(request, limit, opts.timeoutMs);
}

function readIncomingLimited(
  incoming: IncomingMessage,
  limit: number,
  timeoutMs: number | undefined,
): Promise<BodyRead> {
  if (overLimit(incoming.headers['content-length'], limit)) return Promise.resolve(TOO_LARGE);
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let total = 0;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            cleanup();
            chunks = [];
            incoming.pause();
            resolve(TIMEOUT);
          }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        // Stop here: the rest stays unread (the server drains or drops it after the 413).
        cleanup();
        incoming.pause();
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (chunks.length === 0) resolve(EMPTY);
      else
        resolve({
          kind: 'ok',
          bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total),
        });
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      if (incoming.readableEnded) return onEnd();
      cleanup();
      reject(new Error('the client closed the connection before the body was complete'));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

async function readStreamLimited(
  request: Request,
  limit: number,
  timeoutMs: number | undefined,
): Promise<BodyRead> {
  if (overLimit(request.headers.get('content-length'), limit)) return TOO_LARGE;
  const body = request.body;
  if (!body) return EMPTY;
  const reader: ReadableStreamDefaultReader<Uint8Array> = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: NodeJS.Timeout | undefined;
  const expired =
    timeoutMs === undefined
      ? undefined
      : new Promise<'timeout'>(
          (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
        );
  try {
    for (;;) {
      const next = expired ? await Promise.race([reader.read(), expired]) : await reader.read();
      if (next === 'timeout') {
        reader.cancel().catch(() => undefined);
        return TIMEOUT;
      }
      const { done, value } = next;
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        reader.cancel().catch(() => undefined);
        return TOO_LARGE;
      }
      chunks.push(value);
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  return {
    kind: 'ok',
    bytes: chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks),
  };
}
