import { createHmac } from 'node:crypto';
import { sameBytes } from './constant-time';

/** Standard Webhooks (https://www.standardwebhooks.com): HMAC-SHA256 over `${id}.${timestamp}.${body}`. */

export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;
const MAX_SIGNATURES = 10;
const SECRET_PREFIX = 'whsec_';

export interface SignatureHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** `whsec_<base64>` -> key bytes. */
export function decodeSecret(secret: string): Buffer {
  const raw = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(raw, 'base64');
  if (key.length === 0) throw new Error('webhook secret decodes to an empty key');
  return key;
}

export const hasSignatureHeaders = (h: SignatureHeaders) => h.signature !== undefined;

/** The checks that need no body: all three headers present and the timestamp within tolerance. */
export function checkSignatureHeaders(h: SignatureHeaders, nowSeconds: number): SignatureCheck {
  if (!h.id || !h.timestamp || !h.signature)
    return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  if (!/^\d{1,15}$/.test(h.timestamp))
    return { ok: false, reason: 'webhook-timestamp is not a number of seconds' };
  const skew = Math.abs(nowSeconds - Number(h.timestamp));
  if (skew > SIGNATURE_TOLERANCE_SECONDS)
    return {
      ok: false,
      reason: `webhook-timestamp is ${skew} s off (tolerance ${SIGNATURE_TOLERANCE_SECONDS} s)`,
    };
  return { ok: true };
}

/**
 * Verifies the signature over the raw body bytes against every key (rotation). Accepts any `v1,`
 * entry of the space-separated list; comparisons are constant-time on equal-length digests.
 */
export function verifySignature(
  h: SignatureHeaders,
  body: Uint8Array,
  keys: readonly Buffer[],
  nowSeconds: number,
): SignatureCheck {
  const headers = checkSignatureHeaders(h, nowSeconds);
  if (!headers.ok) return headers;
  const passed = (h.signature ?? '')
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .slice(0, MAX_SIGNATURES)
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  if (passed.length === 0) return { ok: false, reason: 'no v1 signature in webhook-signature' };
  const prefix = Buffer.from(`${h.id}.${h.timestamp}.`, 'utf8');
  let matched = false;
  for (const key of keys) {
    const expected = createHmac('sha256', key).update(prefix).update(body).digest();
    for (const candidate of passed) matched = sameBytes(candidate, expected) || matched;
  }
  return matched ? { ok: true } : { ok: false, reason: 'no matching signature' };
}
