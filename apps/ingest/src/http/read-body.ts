export type BodyRead = { kind: 'ok'; bytes: Uint8Array } | { kind: 'too_large' };

/**
 * Reads a request body up to `limit` bytes. A declared Content-Length over the limit is refused
 * before reading; otherwise reading stops as soon as the count passes the limit, so the rest is
 * never buffered (the server discards it and closes the connection).
 */
export async function readBodyLimited(request: Request, limit: number): Promise<BodyRead> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > limit) return { kind: 'too_large' };
  const body = request.body;
  if (!body) return { kind: 'ok', bytes: new Uint8Array(0) };
  const reader: ReadableStreamDefaultReader<Uint8Array> = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        reader.cancel().catch(() => undefined);
        return { kind: 'too_large' };
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return { kind: 'ok', bytes: chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks) };
}
