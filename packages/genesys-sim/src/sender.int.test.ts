import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from '@wrapup/shared/testing';
import { deliverFinish, type SenderShape } from './sender';
import { startReceiver } from './testing/receiver';

const SECRET = `whsec_${Buffer.from('a-test-secret-of-32-bytes-length').toString('base64')}`;
const campaign = {
  id: 'c-123',
  name: 'Autumn Renewals',
  status: 'complete' as const,
  occurredAt: '2023-10-27T14:30:00.000Z',
  durationSeconds: 3600,
  contactCount: 1500,
};

/** Delivers the campaign's finish to `webhookUrl`, in the guide shape unless `opts` say another. */
const send = (webhookUrl: string, opts: Partial<Parameters<typeof deliverFinish>[0]> = {}) =>
  deliverFinish({ webhookUrl, campaign, shape: 'guide', ...opts });

describe('deliverFinish', () => {
  const closing = closeAfterEach();

  it.each<SenderShape>(['guide', 'eventbridge', 'notification'])(
    'signs the %s shape with Standard Webhooks',
    async (shape) => {
      const receiver = closing(await startReceiver());
      const result = await send(receiver.url, { shape, auth: { secret: SECRET } });
      expect(result.finals.map((a) => a.status)).toEqual([202]);
      const got = receiver.received[0];
      expect(got?.headers['webhook-id']).toBe(result.eventId);
      const verified = new Webhook(SECRET).verify(
        got?.body ?? '',
        got?.headers as Record<string, string>,
      );
      expect(verified).toEqual(result.body);
      expect(() =>
        new Webhook(
          `whsec_${Buffer.from('another-secret-entirely-32-bytes').toString('base64')}`,
        ).verify(got?.body ?? '', got?.headers as Record<string, string>),
      ).toThrow();
    },
  );

  it('builds each of the three shapes the ingest accepts', async () => {
    const receiver = closing(await startReceiver());
    const guide = await send(receiver.url);
    expect(guide.body).toEqual({
      eventType: 'outbound.campaign.completed',
      timestamp: '2023-10-27T14:30:00.000Z',
      data: { campaignId: 'c-123', status: 'completed', durationSeconds: 3600, contactCount: 1500 },
    });
    const stopped = await send(receiver.url, { campaign: { ...campaign, status: 'off' } });
    expect(stopped.body).toMatchObject({
      eventType: 'outbound.campaign.stopped',
      data: { status: 'stopped' },
    });

    const eb = await send(receiver.url, { shape: 'eventbridge', eventId: 'ev-1', orgId: 'org-9' });
    expect(eb.body).toMatchObject({
      version: '0',
      id: 'ev-1',
      'detail-type': 'v2.outbound.campaigns.{id}',
      time: '2023-10-27T14:30:00Z',
      resources: [],
      detail: {
        topicName: 'v2.outbound.campaigns.c-123',
        version: '2',
        eventBody: { id: 'c-123', campaignStatus: 'complete', name: 'Autumn Renewals' },
        metadata: { CorrelationId: 'ev-1' },
      },
    });
    expect((eb.body as { source: string }).source).toMatch(
      /^aws\.partner\/genesys\.com\/cloud\/org-9\/.+/,
    );
    const n = await send(receiver.url, {
      campaign: { ...campaign, status: 'forced_off' },
      shape: 'notification',
    });
    expect(n.body).toMatchObject({
      topicName: 'v2.outbound.campaigns.c-123',
      version: '2',
      eventBody: { id: 'c-123', campaignStatus: 'forced_off', dateModified: campaign.occurredAt },
      metadata: { CorrelationId: n.eventId },
    });
  });

  it('sends a given campaign copy as the eventBody as is; the guide shape refuses other statuses', async () => {
    const receiver = closing(await startReceiver());
    const copy = { id: 'c-123', name: 'X', campaignStatus: 'on', version: 7 };
    const on = { ...campaign, status: 'on' as const, copy };
    const n = await send(receiver.url, { campaign: on, shape: 'notification' });
    expect((n.body as { eventBody: unknown }).eventBody).toEqual(copy);
    const eb = await send(receiver.url, { campaign: on, shape: 'eventbridge' });
    expect(eb.body).toMatchObject({ detail: { eventBody: copy, timestamp: campaign.occurredAt } });
    await expect(send(receiver.url, { campaign: on })).rejects.toThrow(
      /guide shape has no event for campaignStatus on/,
    );
    expect(receiver.received).toHaveLength(2);
  });

  it('sends an API key as x-api-key or Authorization: Bearer', async () => {
    const receiver = closing(await startReceiver());
    await send(receiver.url, { shape: 'eventbridge', auth: { apiKey: 'k1' } });
    await send(receiver.url, { auth: { apiKey: 'k2', apiKeyHeader: 'bearer' } });
    expect(receiver.received[0]?.headers['x-api-key']).toBe('k1');
    expect(receiver.received[0]?.headers['webhook-signature']).toBeUndefined();
    expect(receiver.received[1]?.headers.authorization).toBe('Bearer k2');
  });

  it('retries 5xx and 429 with backoff, then stops at success', async () => {
    const receiver = closing(await startReceiver({ statuses: [503, 429, 202] }));
    const result = await send(receiver.url, { retryDelayMs: 10, auth: { secret: SECRET } });
    expect(result.answers.map((a) => a.status)).toEqual([503, 429, 202]);
    expect(result.finals).toHaveLength(1);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(
      new Set([result.eventId]),
    );
  });

  it('gives up after the configured retries, and does not retry a 4xx', async () => {
    const receiver = closing(await startReceiver({ statuses: [500] }));
    const failed = await send(receiver.url, { retries: 2, retryDelayMs: 5 });
    expect(failed.answers.map((a) => a.status)).toEqual([500, 500, 500]);
    const refusing = closing(await startReceiver({ statuses: [401] }));
    const refused = await send(refusing.url, { retryDelayMs: 5 });
    expect(refused.answers.map((a) => a.status)).toEqual([401]);
  });

  it('retries network errors', async () => {
    const result = await send('http://127.0.0.1:9/webhooks/genesys', {
      retries: 1,
      retryDelayMs: 5,
    });
    expect(result.answers.map((a) => a.status)).toEqual([null, null]);
    expect(result.answers[0]?.error).toBeTruthy();
  });

  it('sends duplicates with the same event id and body', async () => {
    const receiver = closing(await startReceiver({ statuses: [202, 200, 200] }));
    const result = await send(receiver.url, {
      shape: 'eventbridge',
      duplicates: 2,
      auth: { secret: SECRET },
    });
    expect(result.finals.map((a) => [a.delivery, a.status])).toEqual([
      [0, 202],
      [1, 200],
      [2, 200],
    ]);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(
      new Set([result.eventId]),
    );
  });
});
