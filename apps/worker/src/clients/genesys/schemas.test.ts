import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { CampaignProgressSchema, CampaignSchema, TokenResponseSchema } from './schemas';
import { campaignAggregatesQuery, CAMPAIGN_METRICS } from './analytics';

describe('Genesys answer schemas', () => {
  it('accept real answers and keep extra fields', () => {
    const campaign = v.parse(CampaignSchema, {
      id: 'c1',
      name: 'Spring',
      campaignStatus: 'complete',
      dialingMode: 'predictive',
      contactList: { id: 'l1', name: 'List', selfUri: '/x' },
      alwaysRunning: false,
      version: 3,
      dateModified: '2024-01-01T00:00:00.000Z',
      division: { id: 'd' },
    });
    expect(campaign).toMatchObject({ id: 'c1', division: { id: 'd' } });
    expect(
      v.parse(CampaignProgressSchema, {
        numberOfContactsCalled: 10,
        totalNumberOfContacts: 12,
        percentage: 83,
      }).numberOfContactsCalled,
    ).toBe(10);
    expect(
      v.parse(TokenResponseSchema, { access_token: 't', token_type: 'bearer', expires_in: 86399 })
        .expires_in,
    ).toBe(86399);
  });

  it('accept what the SDK marks optional as missing (campaignStatus, numberOfContactsCalled)', () => {
    expect(v.parse(CampaignSchema, { id: 'c1', name: 'x' }).campaignStatus).toBeUndefined();
    expect(
      v.parse(CampaignProgressSchema, { campaign: { id: 'c1' }, totalNumberOfContacts: 12 })
        .numberOfContactsCalled,
    ).toBeUndefined();
  });

  it('reject bad answers', () => {
    expect(v.safeParse(CampaignSchema, { id: 'c1' }).success).toBe(false);
    expect(v.safeParse(CampaignSchema, { id: 'c1', name: 'x', campaignStatus: 3 }).success).toBe(
      false,
    );
    expect(v.safeParse(CampaignSchema, 'oops').success).toBe(false);
    expect(v.safeParse(CampaignProgressSchema, { numberOfContactsCalled: '10' }).success).toBe(
      false,
    );
    expect(v.safeParse(TokenResponseSchema, { access_token: '', expires_in: 10 }).success).toBe(
      false,
    );
  });

  it('builds the aggregates body of docs/platform-facts.md', () => {
    expect(campaignAggregatesQuery('c1', 'a/b')).toEqual({
      interval: 'a/b',
      groupBy: ['outboundCampaignId', 'wrapUpCode'],
      filter: {
        type: 'and',
        predicates: [
          { type: 'dimension', dimension: 'outboundCampaignId', operator: 'matches', value: 'c1' },
          { type: 'dimension', dimension: 'mediaType', operator: 'matches', value: 'voice' },
        ],
      },
      metrics: [...CAMPAIGN_METRICS],
    });
    expect(CAMPAIGN_METRICS.join(' ')).toBe(
      'nOutboundAttempted nOutboundConnected nOutboundAbandoned tHandle tTalk tHeld tAcw',
    );
  });
});
