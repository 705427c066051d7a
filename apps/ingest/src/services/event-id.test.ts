import { describe, expect, it } from 'vitest';
import type { CampaignFinished } from '@wrapup/shared';
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
    expect(eventIdFor(event(), null)).toBe(eventIdFor(event({ shape: 'notification' }), null));
    expect(eventIdFor(event(), null)).not.toBe(eventIdFor(event({ status: 'stopped' }), null));
    expect(eventIdFor(event(), null)).not.toBe(eventIdFor(event({ occurredAt: '2024-05-01T10:00:01.000Z' }), null));
  });

  it('hashes ids that are too long or not printable ASCII', () => {
    expect(eventIdFor(event(), 'x'.repeat(500))).toMatch(/^evt-[0-9a-f]{32}$/);
    expect(eventIdFor(event(), 'ünï')).toMatch(/^evt-[0-9a-f]{32}$/);
    expect(eventIdFor(event(), 'a b')).toMatch(/^evt-/);
  });
});
