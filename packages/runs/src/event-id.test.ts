import { describe, expect, it } from 'vitest';
import { hashId, type CampaignFinished } from '@wrapup/shared';
import { eventIdFor } from './event-id';

const event = (over: Partial<CampaignFinished> = {}): CampaignFinished => ({
  campaignId: 'c-1',
  status: 'completed',
  occurredAt: '2024-05-01T10:00:00.000Z',
  durationSeconds: undefined,
  contactCount: undefined,
  senderEventId: undefined,
  shape: 'guide',
  campaignName: undefined,
  ...over,
});

describe('eventIdFor', () => {
  it('prefers the webhook-id header, then the sender id, then a hash', () => {
    expect(eventIdFor(event({ senderEventId: 'eb-1' }), 'msg_1')).toBe('msg_1');
    expect(eventIdFor(event({ senderEventId: 'eb-1' }), undefined)).toBe('eb-1');
    expect(eventIdFor(event({ senderEventId: 'eb-1' }), '  ')).toBe('eb-1');
    expect(eventIdFor(event(), null)).toMatch(/^evt-[0-9a-f]{32}$/);
  });

  it('hashes the same (campaign, status, time) to the same id, and different ones apart', () => {
    expect(eventIdFor(event(), null)).toBe(eventIdFor(event({ shape: 'eventbridge' }), null));
    expect(eventIdFor(event(), null)).not.toBe(eventIdFor(event({ status: 'stopped' }), null));
    expect(eventIdFor(event(), null)).not.toBe(
      eventIdFor(event({ occurredAt: '2024-05-01T10:00:01.000Z' }), null),
    );
  });

  describe('a Notification API message', () => {
    const note = (over: Partial<CampaignFinished> = {}) =>
      event({ shape: 'notification', senderEventId: 'corr-1', campaignVersion: 7, ...over });

    it('never uses the CorrelationId alone', () => {
      const id = eventIdFor(note(), null);
      expect(id).toMatch(/^evt-[0-9a-f]{32}$/);
      expect(id).toBe(`evt-${hashId('corr-1', 'c-1', 'completed', '7')}`);
      // the webhook-id header still wins; EventBridge keeps its envelope id
      expect(eventIdFor(note(), 'msg_2')).toBe('msg_2');
      const eb = event({
        shape: 'eventbridge',
        senderEventId: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
        campaignVersion: 3,
      });
      expect(eventIdFor(eb, null)).toBe('6a7e8feb-b491-4cf7-a9f1-bf3703467718');
    });

    it('tells apart messages sharing a CorrelationId by campaign, status and version', () => {
      const id = eventIdFor(note(), null);
      expect(eventIdFor(note({ campaignId: 'c-2' }), null)).not.toBe(id);
      expect(eventIdFor(note({ status: 'stopped' }), null)).not.toBe(id);
      expect(eventIdFor(note({ campaignVersion: 8 }), null)).not.toBe(id);
      expect(eventIdFor(note({ campaignVersion: undefined }), null)).toBe(
        `evt-${hashId('corr-1', 'c-1', 'completed', '')}`,
      );
    });

    it('gives a redelivery (same message, later receipt) the same id', () => {
      const first = note({
        sentAt: '2024-05-01T10:00:00.000Z',
        receivedAt: '2024-05-01T10:00:02.000Z',
        occurredAt: '2024-05-01T10:00:02.000Z',
      });
      const again = note({
        sentAt: '2024-05-01T10:00:00.000Z',
        receivedAt: '2024-05-01T10:00:09.000Z',
        occurredAt: '2024-05-01T10:00:09.000Z',
      });
      expect(eventIdFor(again, null)).toBe(eventIdFor(first, null));
      const noCorr = { senderEventId: undefined };
      expect(eventIdFor(note({ ...again, ...noCorr }), null)).toBe(
        eventIdFor(note({ ...first, ...noCorr }), null),
      );
    });

    it('without a CorrelationId hashes campaign, status, version and time', () => {
      const bare = note({ senderEventId: undefined });
      expect(eventIdFor(bare, null)).toBe(
        `evt-${hashId('c-1', 'completed', '7', '2024-05-01T10:00:00.000Z')}`,
      );
      expect(eventIdFor(bare, null)).not.toBe(
        eventIdFor(note({ senderEventId: undefined, campaignVersion: 8 }), null),
      );
      expect(eventIdFor(note({ senderEventId: undefined, campaignVersion: undefined }), null)).toBe(
        `evt-${hashId('c-1', 'completed', '', '2024-05-01T10:00:00.000Z')}`,
      );
    });
  });

  it('hashes ids that are too long or not printable ASCII', () => {
    expect(eventIdFor(event(), 'x'.repeat(500))).toMatch(/^evt-[0-9a-f]{32}$/);
    expect(eventIdFor(event(), 'ünï')).toMatch(/^evt-[0-9a-f]{32}$/);
    expect(eventIdFor(event(), 'a b')).toMatch(/^evt-/);
  });
});
