import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import {
  API_KEY,
  API_KEY_2,
  SECRET_A,
  SECRET_B,
  campaignId,
  guideEvent,
  startHarness,
  useHarness,
} from './testing/app';

/** A guide event dated a minute ago (the ingest refuses events older than EVENT_MAX_AGE_DAYS). */
const recentEvent = (id: string) =>
  guideEvent(id, { timestamp: new Date(Date.now() - 60_000).toISOString() });

const h = useHarness();

const signedHeaders = (raw: string, secret: string, id: string, at = new Date()) => ({
  'webhook-id': id,
  'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
  'webhook-signature': new Webhook(secret).sign(id, at, raw),
});

describe('webhook authentication', () => {
  it('accepts a Standard Webhooks signature made by the reference library, and uses webhook-id as the event id', async () => {
    const res = await h.postSigned(recentEvent(campaignId()), { id: 'msg_ref_1' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'accepted', eventId: 'msg_ref_1' });
  });

  it('accepts the rotated (second) secret and a list of several signatures', async () => {
    expect((await h.postSigned(recentEvent(campaignId()), { secret: SECRET_B })).status).toBe(202);
    const raw = JSON.stringify(recentEvent(campaignId()));
    const id = `msg_${randomBytes(6).toString('hex')}`;
    const headers = signedHeaders(raw, SECRET_B, id);
    const stale = new Webhook(`whsec_${randomBytes(24).toString('base64')}`).sign(
      id,
      new Date(),
      raw,
    );
    headers['webhook-signature'] = `${stale} v2,abc ${headers['webhook-signature']}`;
    expect((await h.post(raw, headers)).status).toBe(202);
  });

  it('rejects a signature from an unknown secret', async () => {
    const res = await h.postSigned(recentEvent(campaignId()), {
      secret: `whsec_${randomBytes(24).toString('base64')}`,
    });
    expect(res.status).toBe(401);
  });

  it('rejects a tampered body', async () => {
    const raw = JSON.stringify(recentEvent(campaignId()));
    const headers = signedHeaders(raw, SECRET_A, 'msg_tamper');
    const tampered = raw.replace('"contactCount":120', '"contactCount":121');
    expect(tampered).not.toBe(raw);
    const res = await h.post(tampered, headers);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'unauthorized' });
    expect((await h.post(raw, headers)).status).toBe(202);
  });

  it('rejects a replayed signature outside the 5-minute tolerance, either direction', async () => {
    const old = await h.postSigned(recentEvent(campaignId()), {
      at: new Date(Date.now() - 6 * 60_000),
    });
    expect(old.status).toBe(401);
    const future = await h.postSigned(recentEvent(campaignId()), {
      at: new Date(Date.now() + 6 * 60_000),
    });
    expect(future.status).toBe(401);
    const edge = await h.postSigned(recentEvent(campaignId()), {
      at: new Date(Date.now() - 4 * 60_000),
    });
    expect(edge.status).toBe(202);
  });

  it('rejects signature headers with a missing id or a non-numeric timestamp', async () => {
    const raw = JSON.stringify(recentEvent(campaignId()));
    const headers = signedHeaders(raw, SECRET_A, 'msg_x');
    expect((await h.post(raw, { ...headers, 'webhook-id': '' })).status).toBe(401);
    expect((await h.post(raw, { ...headers, 'webhook-timestamp': 'soon' })).status).toBe(401);
  });

  it('accepts an API key as Bearer or x-api-key, both rotated keys, and nothing else', async () => {
    expect(
      (await h.post(recentEvent(campaignId()), { authorization: `Bearer ${API_KEY}` })).status,
    ).toBe(202);
    expect(
      (await h.post(recentEvent(campaignId()), { authorization: `bearer ${API_KEY_2}` })).status,
    ).toBe(202);
    expect((await h.post(recentEvent(campaignId()), { 'x-api-key': API_KEY_2 })).status).toBe(202);
    expect(
      (await h.post(recentEvent(campaignId()), { authorization: `Basic ${API_KEY}` })).status,
    ).toBe(401);
    expect(
      (await h.post(recentEvent(campaignId()), { authorization: `Bearer ${API_KEY}x` })).status,
    ).toBe(401);
    expect(
      (await h.post(recentEvent(campaignId()), { 'x-api-key': API_KEY.slice(0, -1) })).status,
    ).toBe(401);
  });

  it('checks credentials before reading the body: 401, not 400 or 413, for an unauthenticated request', async () => {
    expect((await h.post('{not json')).status).toBe(401);
    expect((await h.post({ pad: 'x'.repeat(10_000) })).status).toBe(401);
  });
});

describe('WEBHOOK_AUTH=none', () => {
  it('accepts without credentials', async () => {
    const open = await startHarness({
      WEBHOOK_AUTH: 'none',
      WEBHOOK_SECRET: '',
      WEBHOOK_API_KEYS: '',
    });
    try {
      expect((await open.post(recentEvent(campaignId()))).status).toBe(202);
    } finally {
      await open.close();
    }
  });

  it('refuses to build an ingest with auth required and no secret or key', async () => {
    await expect(startHarness({ WEBHOOK_SECRET: '', WEBHOOK_API_KEYS: '' })).rejects.toThrow(
      /WEBHOOK_AUTH=required/,
    );
  });
});
