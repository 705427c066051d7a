import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { decodeSecret, verifySignature } from './standard-webhooks';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const keys = [decodeSecret(secret)];
const now = 1_714_557_600;

const sign = (body: string, id = 'msg_1', ts = now, s = secret) => ({
  id,
  timestamp: String(ts),
  signature: new Webhook(s).sign(id, new Date(ts * 1000), body),
});

describe('verifySignature', () => {
  it('accepts what the reference library signs, over the raw bytes', () => {
    const body = '{"a":"ünïcode ✓"}';
    expect(verifySignature(sign(body), Buffer.from(body), keys, now)).toEqual({ ok: true });
  });

  it('rejects a changed id, timestamp or body', () => {
    const body = '{"a":1}';
    const h = sign(body);
    expect(verifySignature({ ...h, id: 'msg_2' }, Buffer.from(body), keys, now).ok).toBe(false);
    expect(
      verifySignature({ ...h, timestamp: String(now + 1) }, Buffer.from(body), keys, now).ok,
    ).toBe(false);
    expect(verifySignature(h, Buffer.from('{"a":2}'), keys, now).ok).toBe(false);
  });

  it('applies the 5-minute tolerance in both directions', () => {
    const body = '{}';
    expect(verifySignature(sign(body, 'm', now - 300), Buffer.from(body), keys, now).ok).toBe(true);
    expect(verifySignature(sign(body, 'm', now - 301), Buffer.from(body), keys, now)).toMatchObject(
      { ok: false, reason: expect.stringMatching(/tolerance/) as unknown },
    );
    expect(verifySignature(sign(body, 'm', now + 301), Buffer.from(body), keys, now).ok).toBe(
      false,
    );
  });

  it('finds a match among several signatures and several keys', () => {
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    const body = '{}';
    const h = sign(body, 'm', now, other);
    expect(verifySignature(h, Buffer.from(body), keys, now).ok).toBe(false);
    expect(verifySignature(h, Buffer.from(body), [...keys, decodeSecret(other)], now).ok).toBe(
      true,
    );
    const both = { ...h, signature: `v1,garbage ${sign(body, 'm').signature} v1a,x` };
    expect(verifySignature(both, Buffer.from(body), keys, now).ok).toBe(true);
  });

  it('rejects malformed headers without throwing', () => {
    for (const h of [
      { id: undefined, timestamp: String(now), signature: 'v1,x' },
      { id: 'm', timestamp: 'abc', signature: 'v1,x' },
      { id: 'm', timestamp: String(now), signature: '' },
      { id: 'm', timestamp: String(now), signature: 'v1,' },
      { id: 'm', timestamp: String(now), signature: 'v2,' + 'A'.repeat(44) },
    ]) {
      expect(verifySignature(h, Buffer.from('{}'), keys, now).ok).toBe(false);
    }
  });
});
