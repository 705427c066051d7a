import { describe, expect, it } from 'vitest';
import { parseCampaignEvent, type ParseResult } from './parse';
import type { CampaignFinished } from './types';

const UTC = { eventTimezone: 'UTC' };
/** What every unreadable time is told. */
const BAD_TIME =
  'must be an ISO-8601 date-time (with Z or an offset such as +02:00, or a local time in EVENT_TIMEZONE)';
const BERLIN = { eventTimezone: 'Europe/Berlin' };

/** The guide's payload, verbatim. */
const GUIDE_JSON =
  '{"eventType":"outbound.campaign.completed","timestamp":"2023-10-27T14:30:00Z","data":{"campaignId":"cmp-88293-xyz","status":"completed","durationSeconds":3600,"contactCount":1500}}';

const guide = (data: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
  eventType: 'outbound.campaign.completed',
  timestamp: '2023-10-27T14:30:00Z',
  data: {
    campaignId: 'cmp-88293-xyz',
    status: 'completed',
    durationSeconds: 3600,
    contactCount: 1500,
    ...data,
  },
  ...top,
});

const CAMPAIGN_ID = '3c7b8d2e-91f4-4b1a-a5c6-0d2e8f9a1b3c';

/** A campaign as GET /api/v2/outbound/campaigns/{id} returns it (what the topic carries). */
const campaignBody = (over: Record<string, unknown> = {}) => ({
  id: CAMPAIGN_ID,
  name: 'Q4 Renewals',
  dateCreated: '2023-10-20T08:00:00.000Z',
  dateModified: '2023-10-27T14:30:00.000Z',
  version: 7,
  contactList: { id: 'c1f0a1d2-0000-4000-8000-000000000001', name: 'Renewals Oct' },
  dialingMode: 'preview',
  campaignStatus: 'complete',
  phoneColumns: [{ columnName: 'Phone', type: 'cell' }],
  abandonRate: 5,
  alwaysRunning: false,
  selfUri: `/api/v2/outbound/campaigns/${CAMPAIGN_ID}`,
  ...over,
});

const eventBridge = (body: Record<string, unknown> = {}, over: Record<string, unknown> = {}) => ({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'v2.outbound.campaigns.{id}',
  source: 'aws.partner/genesys.com/cloud/8c6a1b7e-1234-4bd0-9a5e-5f0c2a1e9d77/wrapup-campaigns',
  account: '123456789012',
  time: '2023-10-27T14:30:01Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    topicName: `v2.outbound.campaigns.${CAMPAIGN_ID}`,
    version: '2',
    eventBody: campaignBody(body),
    metadata: { CorrelationId: 'f2b1c9e0-aaaa-4bbb-8ccc-0123456789ab' },
    timestamp: '2023-10-27T14:30:00.500Z',
  },
  ...over,
});

const notification = (body: Record<string, unknown> = {}, over: Record<string, unknown> = {}) => ({
  topicName: `v2.outbound.campaigns.${CAMPAIGN_ID}`,
  version: '2',
  eventBody: campaignBody(body),
  metadata: { CorrelationId: '0d6f1c2a-bbbb-4ccc-8ddd-0123456789ab' },
  ...over,
});

const eventOf = (r: ParseResult): CampaignFinished => {
  if (r.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(r)}`);
  return r.event;
};
/** Parses `body` (with EVENT_TIMEZONE=UTC unless `opts` say otherwise), expecting it refused: its issues. */
const issuesOf = (body: unknown, opts: Parameters<typeof parseCampaignEvent>[1] = UTC) => {
  const r = parseCampaignEvent(body, opts);
  if (r.kind !== 'invalid') throw new Error(`expected invalid, got ${JSON.stringify(r)}`);
  return r.issues;
};

/** What GET /api/v2/outbound/campaigns/{id}/progress returns (what the .progress topic carries). */
const progressBody = () => ({
  campaign: {
    id: CAMPAIGN_ID,
    name: 'Q4 Renewals',
    selfUri: `/api/v2/outbound/campaigns/${CAMPAIGN_ID}`,
  },
  contactList: { id: 'c1f0a1d2-0000-4000-8000-000000000001', name: 'Renewals Oct' },
  numberOfContactsCalled: 1200,
  numberOfContactsMessaged: 0,
  totalNumberOfContacts: 1500,
  percentage: 80,
  numberOfContactsSkipped: { dnc: 3 },
});

describe('the guide event', () => {
  it('parses the guide payload verbatim', () => {
    expect(parseCampaignEvent(JSON.parse(GUIDE_JSON), UTC)).toEqual({
      kind: 'event',
      event: {
        campaignId: 'cmp-88293-xyz',
        status: 'completed',
        occurredAt: '2023-10-27T14:30:00.000Z',
        durationSeconds: 3600,
        contactCount: 1500,
        senderEventId: undefined,
        shape: 'guide',
        campaignName: undefined,
      },
    });
  });

  it('honours an offset', () => {
    const e = eventOf(
      parseCampaignEvent(guide({}, { timestamp: '2023-10-27T16:30:00+02:00' }), BERLIN),
    );
    expect(e.occurredAt).toBe('2023-10-27T14:30:00.000Z');
  });

  it('reads a naive timestamp in EVENT_TIMEZONE', () => {
    const summer = guide({}, { timestamp: '2023-10-27T16:30:00' });
    expect(eventOf(parseCampaignEvent(summer, BERLIN)).occurredAt).toBe('2023-10-27T14:30:00.000Z');
    expect(eventOf(parseCampaignEvent(summer, UTC)).occurredAt).toBe('2023-10-27T16:30:00.000Z');
    const winter = guide({}, { timestamp: '2023-11-27 16:30:00' });
    expect(eventOf(parseCampaignEvent(winter, BERLIN)).occurredAt).toBe('2023-11-27T15:30:00.000Z');
  });

  it('handles the DST change deterministically', () => {
    // Europe/Berlin: 2024-03-31 02:30 does not exist (-> 03:30 CEST); 2024-10-27 02:30 occurs twice (-> first, CEST)
    const gap = guide({}, { timestamp: '2024-03-31T02:30:00' });
    const overlap = guide({}, { timestamp: '2024-10-27T02:30:00' });
    expect(eventOf(parseCampaignEvent(gap, BERLIN)).occurredAt).toBe('2024-03-31T01:30:00.000Z');
    expect(eventOf(parseCampaignEvent(overlap, BERLIN)).occurredAt).toBe(
      '2024-10-27T00:30:00.000Z',
    );
  });

  it('maps statuses: completed, stopped, anything else lower-cased', () => {
    const status = (s: string) =>
      eventOf(
        parseCampaignEvent(guide({ status: s }, { eventType: `outbound.campaign.${s}` }), UTC),
      ).status;
    expect(status('completed')).toBe('completed');
    expect(status('stopped')).toBe('stopped');
    expect(status('COMPLETED')).toBe('completed');
    expect(status('Paused')).toBe('paused');
    expect(status('started')).toBe('started');
  });

  it('accepts the optional fields absent or null', () => {
    const e = eventOf(
      parseCampaignEvent(
        {
          eventType: 'outbound.campaign.stopped',
          timestamp: '2023-10-27T14:30:00Z',
          data: { campaignId: 'c1', status: 'stopped', durationSeconds: null, agentId: null },
        },
        UTC,
      ),
    );
    expect(e).toMatchObject({
      campaignId: 'c1',
      status: 'stopped',
      durationSeconds: undefined,
      contactCount: undefined,
    });
  });

  it('drops extra fields', () => {
    const e = eventOf(
      parseCampaignEvent(
        guide({ agentId: 'a-1', userId: 'u-1', colour: 'blue' }, { trace: { x: 1 }, extra: true }),
        UTC,
      ),
    );
    expect(Object.keys(e).sort()).toEqual([
      'campaignId',
      'campaignName',
      'contactCount',
      'durationSeconds',
      'occurredAt',
      'senderEventId',
      'shape',
      'status',
    ]);
    expect(JSON.stringify(e)).not.toMatch(/blue|trace|a-1|u-1/);
  });

  it('accepts campaign ids with every allowed character and exactly 128 characters', () => {
    expect(eventOf(parseCampaignEvent(guide({ campaignId: 'a-b_c.d:E9' }), UTC)).campaignId).toBe(
      'a-b_c.d:E9',
    );
    const long = 'x'.repeat(128);
    expect(eventOf(parseCampaignEvent(guide({ campaignId: long }), UTC)).campaignId).toBe(long);
  });

  it.each([
    ['a space', 'cmp 1'],
    ['200 characters', 'x'.repeat(200)],
    ['129 characters', 'x'.repeat(129)],
    ['an empty string', ''],
    ['a slash', 'cmp/1'],
    ['a number', 42],
    ['null', null],
    ['a single dot', '.'],
    ['two dots', '..'],
    ['a leading dot', '.hidden'],
    ['a leading dash', '-x'],
    ['a leading colon', ':x'],
  ])('rejects a campaign id with %s, naming the path', (_what, campaignId) => {
    expect(issuesOf(guide({ campaignId }))).toEqual([
      {
        path: 'data.campaignId',
        message:
          'must be a string of 1 to 128 letters, digits, -, _, ., : starting with a letter or digit',
      },
    ]);
  });

  it('rejects a dotted campaign id in a campaign copy too', () => {
    const body = notification({ id: '..' }, { topicName: 'v2.outbound.campaigns...' });
    expect(
      issuesOf(body, { eventTimezone: 'UTC', receivedAt: '2023-10-27T14:31:00.000Z' }),
    ).toContainEqual({
      path: 'eventBody.id',
      message:
        'must be a string of 1 to 128 letters, digits, -, _, ., : starting with a letter or digit',
    });
  });

  it('reports wrong types with their paths', () => {
    const issues = issuesOf({
      eventType: 7,
      timestamp: true,
      data: {
        campaignId: 'c1',
        status: 5,
        durationSeconds: '3600',
        contactCount: 1.5,
        agentId: 3,
      },
    });
    expect(issues).toEqual([
      { path: 'eventType', message: 'must be a string "outbound.campaign.<status>"' },
      { path: 'timestamp', message: 'must be an ISO-8601 date-time string' },
      { path: 'data.status', message: 'must be a status string such as "completed" or "stopped"' },
      { path: 'data.durationSeconds', message: 'must be a number >= 0' },
      { path: 'data.contactCount', message: 'must be a whole number >= 0' },
      { path: 'data.agentId', message: 'must be a string' },
    ]);
  });

  it('rejects negative numbers', () => {
    expect(issuesOf(guide({ durationSeconds: -1, contactCount: -3 }))).toEqual([
      { path: 'data.durationSeconds', message: 'must be a number >= 0' },
      { path: 'data.contactCount', message: 'must be a whole number >= 0' },
    ]);
  });

  it('says which fields are missing', () => {
    expect(issuesOf({ data: {} })).toEqual([
      { path: 'eventType', message: 'is required' },
      { path: 'timestamp', message: 'is required' },
      { path: 'data.campaignId', message: 'is required' },
      { path: 'data.status', message: 'is required' },
    ]);
    expect(
      issuesOf({ eventType: 'outbound.campaign.completed', timestamp: '2023-10-27T14:30:00Z' }),
    ).toEqual([{ path: 'data', message: 'is required' }]);
    expect(issuesOf(guide({}, { data: 'x' }))).toEqual([
      { path: 'data', message: 'must be an object' },
    ]);
  });

  it('rejects an unparseable timestamp', () => {
    expect(issuesOf(guide({}, { timestamp: '27/10/2023 14:30' }))).toEqual([
      { path: 'timestamp', message: BAD_TIME },
    ]);
  });

  it('rejects an eventType that is not outbound.campaign.<status> or disagrees with data.status', () => {
    expect(issuesOf(guide({}, { eventType: 'campaign.completed' }))).toEqual([
      { path: 'eventType', message: 'must be a string "outbound.campaign.<status>"' },
    ]);
    expect(issuesOf(guide({ status: 'stopped' }))).toEqual([
      {
        path: 'eventType',
        message:
          'must match data.status: "outbound.campaign.stopped", got "outbound.campaign.completed"',
      },
    ]);
  });
});

describe('the EventBridge event', () => {
  it('parses a realistic event', () => {
    expect(parseCampaignEvent(eventBridge(), UTC)).toEqual({
      kind: 'event',
      event: {
        campaignId: CAMPAIGN_ID,
        status: 'completed',
        occurredAt: '2023-10-27T14:30:00.500Z',
        durationSeconds: undefined,
        contactCount: undefined,
        senderEventId: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
        shape: 'eventbridge',
        campaignName: 'Q4 Renewals',
        campaignVersion: 7,
      },
    });
  });

  it.each([
    ['complete', 'completed'],
    ['off', 'stopped'],
    ['forced_off', 'stopped'],
    ['FORCED_OFF', 'stopped'],
    ['on', 'on'],
    ['stopping', 'stopping'],
    ['forced_stopping', 'forced_stopping'],
    ['invalid', 'invalid'],
  ])('maps campaignStatus %s -> %s', (campaignStatus, status) => {
    expect(eventOf(parseCampaignEvent(eventBridge({ campaignStatus }), UTC)).status).toBe(status);
  });

  it('prefers detail.timestamp (set by Genesys) over the envelope time, falling back to time', () => {
    const body = eventBridge({}, { time: '2023-10-27T14:31:00Z' });
    expect(eventOf(parseCampaignEvent(body, UTC)).occurredAt).toBe('2023-10-27T14:30:00.500Z');
    delete (body.detail as { timestamp?: string }).timestamp;
    expect(eventOf(parseCampaignEvent(body, UTC)).occurredAt).toBe('2023-10-27T14:31:00.000Z');
  });

  it('accepts detail.timestamp as epoch milliseconds, a number or text', () => {
    const ms = Date.UTC(2023, 9, 27, 14, 29, 59, 250);
    for (const timestamp of [ms, String(ms)]) {
      const body = eventBridge();
      (body.detail as { timestamp: unknown }).timestamp = timestamp;
      expect(eventOf(parseCampaignEvent(body, UTC)).occurredAt).toBe('2023-10-27T14:29:59.250Z');
    }
  });

  it('needs some time', () => {
    const body = eventBridge({}, { time: undefined });
    delete (body.detail as { timestamp?: string }).timestamp;
    expect(issuesOf(body)).toEqual([
      { path: 'detail.timestamp', message: 'is required (or time)' },
    ]);
  });

  it('names a malformed detail.timestamp instead of falling back to time', () => {
    const body = eventBridge();
    (body.detail as { timestamp: unknown }).timestamp = 'yesterday';
    expect(issuesOf(body)).toEqual([{ path: 'detail.timestamp', message: BAD_TIME }]);
  });

  it('is not dated by receivedAt, nor is the guide event', () => {
    const at = { ...UTC, receivedAt: '2023-10-27T15:00:00.000Z' };
    const e = eventOf(parseCampaignEvent(eventBridge(), at));
    expect(e.occurredAt).toBe('2023-10-27T14:30:00.500Z');
    expect(e.receivedAt).toBeUndefined();
    const g = eventOf(parseCampaignEvent(JSON.parse(GUIDE_JSON), at));
    expect(g.occurredAt).toBe('2023-10-27T14:30:00.000Z');
    expect(Object.keys(g)).not.toContain('receivedAt');
  });

  it('carries the campaign version, a number or numeric text; anything else is dropped', () => {
    expect(eventOf(parseCampaignEvent(eventBridge({ version: 12 }), UTC)).campaignVersion).toBe(12);
    expect(eventOf(parseCampaignEvent(eventBridge({ version: '13' }), UTC)).campaignVersion).toBe(
      13,
    );
    expect(
      eventOf(parseCampaignEvent(eventBridge({ version: undefined }), UTC)).campaignVersion,
    ).toBeUndefined();
    expect(
      eventOf(parseCampaignEvent(eventBridge({ version: 'v7' }), UTC)).campaignVersion,
    ).toBeUndefined();
    expect(
      eventOf(parseCampaignEvent(eventBridge({ version: 1.5 }), UTC)).campaignVersion,
    ).toBeUndefined();
  });

  it('ignores a campaign copy without campaignStatus (optional in the SDK)', () => {
    const ignored = { kind: 'ignored', reason: 'campaign copy without campaignStatus' };
    expect(parseCampaignEvent(eventBridge({ campaignStatus: undefined }), UTC)).toEqual(ignored);
    expect(parseCampaignEvent(eventBridge({ campaignStatus: null }), UTC)).toEqual(ignored);
    // still named when the copy is wrong in other ways
    expect(issuesOf(eventBridge({ campaignStatus: undefined, id: 'bad id' }))[0]?.path).toBe(
      'detail.eventBody.id',
    );
  });

  it('accepts a concrete campaign id in detail-type when it matches', () => {
    const ok = eventBridge({}, { 'detail-type': `v2.outbound.campaigns.${CAMPAIGN_ID}` });
    expect(eventOf(parseCampaignEvent(ok, UTC)).campaignId).toBe(CAMPAIGN_ID);
    const bad = eventBridge({}, { 'detail-type': 'v2.outbound.campaigns.other' });
    expect(issuesOf(bad)).toEqual([
      {
        path: 'detail-type',
        message: `must be "v2.outbound.campaigns.{id}" or name campaign "${CAMPAIGN_ID}", got "v2.outbound.campaigns.other"`,
      },
    ]);
  });

  it('rejects a topicName that names another campaign', () => {
    const body = eventBridge();
    body.detail.topicName = 'v2.outbound.campaigns.someone-else';
    expect(issuesOf(body)).toEqual([
      {
        path: 'detail.topicName',
        message: `names campaign "someone-else" but detail.eventBody.id is "${CAMPAIGN_ID}"`,
      },
    ]);
  });

  it('ignores a progress event before checking its body', () => {
    const body = eventBridge({}, { 'detail-type': 'v2.outbound.campaigns.{id}.progress' });
    body.detail.topicName = `v2.outbound.campaigns.${CAMPAIGN_ID}.progress`;
    (body.detail as { eventBody: unknown }).eventBody = progressBody();
    expect(parseCampaignEvent(body, UTC)).toEqual({
      kind: 'ignored',
      reason: `topic v2.outbound.campaigns.${CAMPAIGN_ID}.progress starts no report`,
    });
  });

  it('ignores a progress detail-type or topicName alone, and other topics', () => {
    const byType = eventBridge({}, { 'detail-type': 'v2.outbound.campaigns.{id}.progress' });
    expect(parseCampaignEvent(byType, UTC)).toEqual({
      kind: 'ignored',
      reason: 'topic v2.outbound.campaigns.{id}.progress starts no report',
    });
    const byTopic = eventBridge();
    byTopic.detail.topicName = `v2.outbound.campaigns.${CAMPAIGN_ID}.progress`;
    expect(parseCampaignEvent(byTopic, UTC)).toMatchObject({ kind: 'ignored' });
    const users = eventBridge({}, { 'detail-type': 'v2.users.{id}.presence' });
    users.detail.topicName = 'v2.users.abc.presence';
    (users.detail as { eventBody: unknown }).eventBody = {
      presenceDefinition: { systemPresence: 'Available' },
    };
    expect(parseCampaignEvent(users, UTC)).toEqual({
      kind: 'ignored',
      reason: 'topic v2.users.abc.presence starts no report',
    });
  });

  it('rejects other sources and a bad eventBody, with dotted paths', () => {
    const issues = issuesOf(
      eventBridge({ id: 'bad id', campaignStatus: 3 }, { source: 'aws.events' }),
    );
    expect(issues).toEqual([
      { path: 'source', message: 'must be a string "aws.partner/genesys.com/..."' },
      {
        path: 'detail.eventBody.id',
        message:
          'must be a string of 1 to 128 letters, digits, -, _, ., : starting with a letter or digit',
      },
      {
        path: 'detail.eventBody.campaignStatus',
        message: 'must be a campaign status string such as "complete" or "off"',
      },
    ]);
  });

  it('is chosen by the detail key alone', () => {
    expect(issuesOf({ detail: {} }).map((i) => i.path)).toEqual([
      'id',
      'detail-type',
      'source',
      'detail.topicName',
      'detail.eventBody',
    ]);
  });

  it('reads a naive time in EVENT_TIMEZONE', () => {
    const body = eventBridge({}, { time: '2023-10-27T16:30:01' });
    delete (body.detail as { timestamp?: string }).timestamp;
    expect(eventOf(parseCampaignEvent(body, BERLIN)).occurredAt).toBe('2023-10-27T14:30:01.000Z');
  });
});

describe('the Notification API message', () => {
  it('parses a realistic message, dated by eventBody.dateModified', () => {
    expect(parseCampaignEvent(notification({ campaignStatus: 'off' }), UTC)).toEqual({
      kind: 'event',
      event: {
        campaignId: CAMPAIGN_ID,
        status: 'stopped',
        occurredAt: '2023-10-27T14:30:00.000Z',
        durationSeconds: undefined,
        contactCount: undefined,
        senderEventId: '0d6f1c2a-bbbb-4ccc-8ddd-0123456789ab',
        shape: 'notification',
        campaignName: 'Q4 Renewals',
        campaignVersion: 7,
        sentAt: '2023-10-27T14:30:00.000Z',
      },
    });
  });

  const AT = (receivedAt: string) => ({ ...UTC, receivedAt });

  it('accepts a message without any time of its own, dated by receivedAt', () => {
    const e = eventOf(
      parseCampaignEvent(notification({ dateModified: undefined }), AT('2023-10-27T14:31:02.345Z')),
    );
    expect(e).toMatchObject({
      occurredAt: '2023-10-27T14:31:02.345Z',
      receivedAt: '2023-10-27T14:31:02.345Z',
    });
    expect(e.sentAt).toBeUndefined();
    // a malformed message time is still refused
    expect(
      issuesOf(notification({ dateModified: 'soon' }), AT('2023-10-27T14:30:05.000Z')),
    ).toEqual([{ path: 'eventBody.dateModified', message: BAD_TIME }]);
  });

  it('takes the later of the message time and receivedAt, keeping both', () => {
    const late = eventOf(parseCampaignEvent(notification(), AT('2023-10-27T14:30:05.000Z')));
    expect(late).toMatchObject({
      occurredAt: '2023-10-27T14:30:05.000Z',
      sentAt: '2023-10-27T14:30:00.000Z',
      receivedAt: '2023-10-27T14:30:05.000Z',
    });
    // a sender clock ahead of ours: the message time wins
    const early = eventOf(parseCampaignEvent(notification(), AT('2023-10-27T14:29:00.000Z')));
    expect(early).toMatchObject({
      occurredAt: '2023-10-27T14:30:00.000Z',
      sentAt: '2023-10-27T14:30:00.000Z',
      receivedAt: '2023-10-27T14:29:00.000Z',
    });
    const meta = notification(
      { dateModified: undefined },
      { metadata: { timestamp: '2023-10-27T14:40:00Z' } },
    );
    expect(eventOf(parseCampaignEvent(meta, AT('2023-10-27T14:35:00.000Z')))).toMatchObject({
      occurredAt: '2023-10-27T14:40:00.000Z',
      sentAt: '2023-10-27T14:40:00.000Z',
    });
  });

  it('ignores a campaign copy without campaignStatus (optional in the SDK)', () => {
    const ignored = { kind: 'ignored', reason: 'campaign copy without campaignStatus' };
    expect(parseCampaignEvent(notification({ campaignStatus: undefined }), UTC)).toEqual(ignored);
    expect(
      parseCampaignEvent(notification({ campaignStatus: null, dateModified: undefined }), UTC),
    ).toEqual(ignored);
    expect(issuesOf(notification({ campaignStatus: '' }))).toEqual([
      {
        path: 'eventBody.campaignStatus',
        message: 'must be a campaign status string such as "complete" or "off"',
      },
    ]);
  });

  it('carries the campaign version, a number or numeric text, and accepts none', () => {
    const bare = notification();
    delete (bare.eventBody as { version?: unknown }).version;
    expect(eventOf(parseCampaignEvent(bare, UTC)).campaignVersion).toBeUndefined();
    expect(eventOf(parseCampaignEvent(notification({ version: '8' }), UTC)).campaignVersion).toBe(
      8,
    );
    expect(
      eventOf(parseCampaignEvent(notification({ version: undefined }), UTC)).campaignVersion,
    ).toBeUndefined();
  });

  it('ignores the progress topic before checking its body', () => {
    const m = {
      ...notification(),
      topicName: `v2.outbound.campaigns.${CAMPAIGN_ID}.progress`,
      eventBody: progressBody(),
    };
    expect(parseCampaignEvent(m, UTC)).toEqual({
      kind: 'ignored',
      reason: `topic v2.outbound.campaigns.${CAMPAIGN_ID}.progress starts no report`,
    });
  });

  it('takes a dotted topic remainder as the campaign topic only when it is the eventBody id', () => {
    const dotted = notification({ id: 'a.b' }, { topicName: 'v2.outbound.campaigns.a.b' });
    expect(eventOf(parseCampaignEvent(dotted, UTC)).campaignId).toBe('a.b');
    const sub = notification({ id: 'a.b' }, { topicName: 'v2.outbound.campaigns.a.b.progress' });
    expect(parseCampaignEvent(sub, UTC)).toMatchObject({ kind: 'ignored' });
  });

  it('recognises a heartbeat', () => {
    expect(
      parseCampaignEvent(
        { topicName: 'channel.metadata', eventBody: { message: 'WebSocket Heartbeat' } },
        UTC,
      ),
    ).toEqual({ kind: 'heartbeat' });
  });

  it('falls back to metadata.timestamp, then a top-level timestamp, else refuses', () => {
    const m = notification(
      { dateModified: undefined },
      {
        metadata: { CorrelationId: 'c', timestamp: '2023-10-27T16:00:00+02:00' },
      },
    );
    expect(eventOf(parseCampaignEvent(m, UTC)).occurredAt).toBe('2023-10-27T14:00:00.000Z');
    const t = notification({ dateModified: undefined }, { timestamp: '2023-10-27T14:05:00Z' });
    expect(eventOf(parseCampaignEvent(t, UTC)).occurredAt).toBe('2023-10-27T14:05:00.000Z');
    const none = notification({ dateModified: undefined });
    expect(issuesOf(none)).toEqual([
      {
        path: 'eventBody.dateModified',
        message: 'is required to date the event (or metadata.timestamp)',
      },
    ]);
  });

  it('leaves senderEventId undefined without metadata', () => {
    const e = eventOf(parseCampaignEvent(notification({}, { metadata: undefined }), UTC));
    expect(e.senderEventId).toBeUndefined();
  });

  it('rejects a topicName/id mismatch', () => {
    expect(issuesOf(notification({ id: 'other-campaign' }))).toEqual([
      {
        path: 'topicName',
        message: `names campaign "${CAMPAIGN_ID}" but eventBody.id is "other-campaign"`,
      },
    ]);
  });

  it('ignores another topic, whatever its body', () => {
    const m = {
      topicName: 'v2.users.abc.presence',
      eventBody: { presenceDefinition: { systemPresence: 'Available' } },
    };
    expect(parseCampaignEvent(m, UTC)).toEqual({
      kind: 'ignored',
      reason: 'topic v2.users.abc.presence starts no report',
    });
    // a topicName that is no string is still refused
    expect(issuesOf(notification({}, { topicName: 42 }))).toEqual([
      { path: 'topicName', message: 'must be a string "v2.outbound.campaigns.<campaignId>"' },
    ]);
  });

  it('names a missing eventBody and a bad dateModified', () => {
    expect(issuesOf({ topicName: `v2.outbound.campaigns.${CAMPAIGN_ID}` })).toEqual([
      { path: 'eventBody', message: 'is required' },
    ]);
    expect(issuesOf(notification({ dateModified: 'soon' }))).toEqual([
      { path: 'eventBody.dateModified', message: BAD_TIME },
    ]);
  });

  it('maps complete and forced_off', () => {
    expect(
      eventOf(parseCampaignEvent(notification({ campaignStatus: 'complete' }), UTC)).status,
    ).toBe('completed');
    expect(
      eventOf(parseCampaignEvent(notification({ campaignStatus: 'forced_off' }), UTC)).status,
    ).toBe('stopped');
    expect(eventOf(parseCampaignEvent(notification({ campaignStatus: 'on' }), UTC)).status).toBe(
      'on',
    );
  });
});

describe('bodies that match no shape', () => {
  const noShape = (got: string) => [
    {
      path: '',
      message:
        'must be one of: the guide event {eventType, timestamp, data}, an EventBridge event {detail-type, detail}, ' +
        `or a Notification API message {topicName, eventBody}; got ${got}`,
    },
  ];

  it.each([
    [undefined, 'an empty body'],
    ['', 'an empty body'],
    [null, 'null'],
    [[], 'an array'],
    ['{"eventType":1}', 'a string'],
    [42, 'a number'],
    [{}, 'an empty object'],
    [{ foo: 1, bar: 2 }, 'keys foo, bar'],
  ])('%j -> invalid', (body, got) => {
    expect(parseCampaignEvent(body, UTC)).toEqual({ kind: 'invalid', issues: noShape(got) });
  });
});

describe('the time horizon and the window bound', () => {
  const RECEIVED = '2023-10-27T14:31:00.000Z';
  const BOUNDED = {
    eventTimezone: 'UTC',
    receivedAt: RECEIVED,
    maxAgeDays: 30,
    maxFutureSeconds: 300,
    maxWindowDays: 31,
  };

  it('accepts times inside the horizon, to its edges', () => {
    for (const timestamp of [
      '2023-10-27T14:36:00.000Z',
      '2023-09-27T14:31:00.000Z',
      '2023-10-27T14:30:00Z',
    ]) {
      expect(eventOf(parseCampaignEvent(guide({}, { timestamp }), BOUNDED)).occurredAt).toBe(
        new Date(timestamp).toISOString(),
      );
    }
  });

  it.each([
    ['2099-01-01T00:00:00Z', 'is more than 300 s in the future'],
    ['9999-12-31T23:59:59Z', 'is more than 300 s in the future'],
    ['2023-10-27T14:36:00.001Z', 'is more than 300 s in the future'],
    ['2023-09-27T14:30:59.999Z', 'is more than 30 days old'],
    ['1970-01-01T00:00:00Z', 'is more than 30 days old'],
    [1_698_417_000_000_000, 'is more than 300 s in the future'], // epoch microseconds
    [0, 'is more than 30 days old'],
  ])('refuses a guide timestamp %j, naming the field', (timestamp, message) => {
    expect(issuesOf(guide({}, { timestamp }), BOUNDED)).toEqual([{ path: 'timestamp', message }]);
  });

  it('applies no horizon when the options give none', () => {
    expect(
      eventOf(parseCampaignEvent(guide({}, { timestamp: '2099-01-01T00:00:00Z' }), UTC)).occurredAt,
    ).toBe('2099-01-01T00:00:00.000Z');
  });

  it('reads a number below 1e11 as epoch seconds, any other number as epoch milliseconds', () => {
    const seconds = Date.UTC(2023, 9, 27, 14, 30) / 1000;
    expect(eventOf(parseCampaignEvent(guide({}, { timestamp: seconds }), BOUNDED)).occurredAt).toBe(
      '2023-10-27T14:30:00.000Z',
    );
    expect(
      eventOf(parseCampaignEvent(guide({}, { timestamp: seconds * 1000 }), BOUNDED)).occurredAt,
    ).toBe('2023-10-27T14:30:00.000Z');
    const body = eventBridge({ campaignStatus: 'on' });
    (body.detail as { timestamp: unknown }).timestamp = seconds + 0.5;
    expect(eventOf(parseCampaignEvent(body, BOUNDED)).occurredAt).toBe('2023-10-27T14:30:00.500Z');
  });

  it('refuses EventBridge detail.timestamp and time outside the horizon', () => {
    const future = eventBridge();
    (future.detail as { timestamp: unknown }).timestamp = '2099-01-01T00:00:00Z';
    expect(issuesOf(future, BOUNDED)).toEqual([
      { path: 'detail.timestamp', message: 'is more than 300 s in the future' },
    ]);
    const old = eventBridge({}, { time: '2020-01-01T00:00:00Z' });
    delete (old.detail as { timestamp?: string }).timestamp;
    expect(issuesOf(old, BOUNDED)).toEqual([{ path: 'time', message: 'is more than 30 days old' }]);
  });

  it('refuses a Notification message time outside the horizon, at its path, receivedAt notwithstanding', () => {
    expect(issuesOf(notification({ dateModified: '9999-01-01T00:00:00Z' }), BOUNDED)).toEqual([
      { path: 'eventBody.dateModified', message: 'is more than 300 s in the future' },
    ]);
    expect(issuesOf(notification({ dateModified: '2020-01-01T00:00:00Z' }), BOUNDED)).toEqual([
      { path: 'eventBody.dateModified', message: 'is more than 30 days old' },
    ]);
    const meta = notification(
      { dateModified: undefined },
      { metadata: { timestamp: '2099-01-01T00:00:00Z' } },
    );
    expect(issuesOf(meta, BOUNDED)).toEqual([
      { path: 'metadata.timestamp', message: 'is more than 300 s in the future' },
    ]);
    const top = notification({ dateModified: undefined }, { timestamp: '2099-01-01T00:00:00Z' });
    expect(issuesOf(top, BOUNDED)).toEqual([
      { path: 'timestamp', message: 'is more than 300 s in the future' },
    ]);
    // inside the horizon it is dated as before: the later of its time and receivedAt
    expect(eventOf(parseCampaignEvent(notification(), BOUNDED)).occurredAt).toBe(RECEIVED);
  });

  it('refuses data.durationSeconds longer than maxWindowDays, naming the field', () => {
    const max = 31 * 86_400;
    expect(
      eventOf(parseCampaignEvent(guide({ durationSeconds: max }), BOUNDED)).durationSeconds,
    ).toBe(max);
    for (const durationSeconds of [max + 1, 1.7e9, 1e308]) {
      expect(issuesOf(guide({ durationSeconds }), BOUNDED)).toEqual([
        {
          path: 'data.durationSeconds',
          message: 'must be at most 2678400 (31 days, the longest analytics window)',
        },
      ]);
    }
  });
});
