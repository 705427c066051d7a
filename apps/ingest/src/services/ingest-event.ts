import type { IncomingMessage } from 'node:http';
import type { PayloadIssue } from '@wrapup/shared';
import { acceptEvent, type AcceptDeps } from '@wrapup/runs';
import type { WebhookAuth } from '../auth/webhook-auth';
import { isJsonContentType } from '../http/content-type';
import type { Slots } from '../http/body-slots';
import { readBodyLimited } from '../http/read-body';
import type { IngestOutcome } from './outcome';

export interface IngestEventDeps extends AcceptDeps {
  auth: WebhookAuth;
  maxBodyBytes: number;
  /** The whole body must arrive within this many ms of the headers (else 408). */
  bodyReadTimeoutMs: number;
  /** Bodies being read whose signature is still to be checked; when full, a signed request gets 503. */
  unverifiedBodies: Slots;
}

/**
 * One webhook delivery, start to finish: authenticate (headers, then the raw bytes), read at most
 * maxBodyBytes, parse, filter, deduplicate and enqueue. Answers only after the job is in Redis.
 * Never throws for anything a sender can cause; Redis failures become `unavailable`.
 * `incoming` (the Node request under @hono/node-server) lets the body be read without web streams.
 */
export async function ingestEvent(
  deps: IngestEventDeps,
  request: Request,
  incoming?: IncomingMessage,
): Promise<IngestOutcome> {
  const nowMs = deps.now();
  const nowSeconds = Math.floor(nowMs / 1000);
  const pre = deps.auth.precheck(request.headers, nowSeconds);
  if (pre.kind === 'fail') return { kind: 'unauthorized', reason: pre.reason };

  const contentType = request.headers.get('content-type');
  if (!isJsonContentType(contentType))
    return { kind: 'unsupported', contentType: contentType ?? '' };

  // A signature needs the whole body before it can be checked, so anyone can make the ingest
  // read one: such reads are capped in number, and every read has a deadline.
  const signed = pre.kind === 'needs-body';
  const release = signed ? deps.unverifiedBodies.tryAcquire() : undefined;
  if (signed && !release) return { kind: 'busy', limit: deps.unverifiedBodies.limit };
  let bytes: Uint8Array;
  try {
    const read = await readBodyLimited(request, deps.maxBodyBytes, incoming, {
      timeoutMs: deps.bodyReadTimeoutMs,
    });
    if (read.kind === 'too_large') return { kind: 'too_large', limit: deps.maxBodyBytes };
    if (read.kind === 'timeout')
      return { kind: 'timeout', timeoutMs: deps.bodyReadTimeoutMs, signed };
    bytes = read.bytes;
  } catch {
    if (signed) return { kind: 'unauthorized', reason: 'the signed body could not be read' };
    return invalid('', 'the body could not be read');
  } finally {
    release?.();
  }

  if (pre.kind === 'needs-body') {
    const check = deps.auth.verifyBody(pre.signature, bytes, nowSeconds);
    if (!check.ok) return { kind: 'unauthorized', reason: check.reason };
  }

  const json = parseJson(bytes);
  if ('issue' in json) return { kind: 'invalid', issues: [json.issue] };
  // parse, filter, deduplicate and enqueue: the intake shared with the worker's listener
  const accepted = await acceptEvent(deps, json.value, {
    webhookId: request.headers.get('webhook-id'),
    receivedAt: new Date(nowMs).toISOString(),
  });
  // no fence was given, so acceptEvent never answers `fenced`; kept exhaustive all the same
  if (accepted.kind === 'fenced')
    return { kind: 'unavailable', error: new Error('unexpected fenced outcome without a fence') };
  return accepted;
}

const invalid = (path: string, message: string): IngestOutcome => ({
  kind: 'invalid',
  issues: [{ path, message }],
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(bytes: Uint8Array): { value: unknown } | { issue: PayloadIssue } {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { issue: { path: '', message: 'must be UTF-8 text' } };
  }
  if (text.trim() === '')
    return { issue: { path: '', message: 'must be a JSON object; got an empty body' } };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return {
      issue: {
        path: '',
        message: `must be valid JSON (${err instanceof SyntaxError ? err.message : 'parse error'})`,
      },
    };
  }
}
