import { describe, expect, it } from 'vitest';
import { fillHours, hourlySeries, MAX_HOURLY_POINTS, windowHours } from './hourly';
import { extractCounts, type AggregatesResponse } from './report-builder';

const bucket = (start: string, attempted: number, connected: number, abandoned: number) => {
  const end = new Date(Date.parse(start) + 3_600_000).toISOString();
  return {
    interval: `${start}/${end}`,
    metrics: [
      { metric: 'nOutboundAttempted', stats: { count: attempted } },
      { metric: 'nOutboundConnected', stats: { count: connected } },
      { metric: 'nOutboundAbandoned', stats: { count: abandoned } },
      { metric: 'tHandle', stats: { count: connected - abandoned, sum: 1000 } },
    ],
  };
};

describe('windowHours', () => {
  it('lists every UTC hour the interval touches, the end exclusive', () => {
    expect(windowHours('2024-05-01T10:00:00.000Z/2024-05-01T13:00:00.000Z')).toEqual([
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T11:00:00.000Z',
      '2024-05-01T12:00:00.000Z',
    ]);
    expect(windowHours('2024-05-01T10:17:00Z/2024-05-01T12:01:00Z')).toEqual([
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T11:00:00.000Z',
      '2024-05-01T12:00:00.000Z',
    ]);
    // across midnight, and an empty interval
    expect(windowHours('2024-05-01T23:30:00Z/2024-05-02T00:30:00Z')).toEqual([
      '2024-05-01T23:00:00.000Z',
      '2024-05-02T00:00:00.000Z',
    ]);
    expect(windowHours('2024-05-01T10:30:00Z/2024-05-01T10:30:00Z')).toEqual([
      '2024-05-01T10:00:00.000Z',
    ]);
  });

  it('refuses an interval that does not parse or is absurdly long', () => {
    expect(() => windowHours('yesterday/today')).toThrow(RangeError);
    expect(() => windowHours('2024-05-02T00:00:00Z/2024-05-01T00:00:00Z')).toThrow(RangeError);
    expect(() => windowHours('2000-01-01T00:00:00Z/2024-01-01T00:00:00Z')).toThrow(
      `more than ${MAX_HOURLY_POINTS}`,
    );
  });
});

describe('hourlySeries', () => {
  const campaignId = 'camp-1';
  const interval = '2024-05-01T08:00:00.000Z/2024-05-01T14:00:00.000Z';

  it('turns PT1H buckets into the hourly series, empty hours as zeros, other campaigns left out', () => {
    const resp: AggregatesResponse = {
      results: [
        {
          group: { outboundCampaignId: campaignId },
          data: [
            bucket('2024-05-01T09:00:00.000Z', 40, 12, 1),
            bucket('2024-05-01T12:00:00.000Z', 7, 3, 0),
          ],
        },
        {
          group: { outboundCampaignId: 'someone-else' },
          data: [bucket('2024-05-01T09:00:00.000Z', 999, 999, 999)],
        },
      ],
    };
    expect(hourlySeries(resp, campaignId, interval)).toEqual([
      { hour: '2024-05-01T08:00:00.000Z', attempted: 0, connected: 0, abandoned: 0 },
      { hour: '2024-05-01T09:00:00.000Z', attempted: 40, connected: 12, abandoned: 1 },
      { hour: '2024-05-01T10:00:00.000Z', attempted: 0, connected: 0, abandoned: 0 },
      { hour: '2024-05-01T11:00:00.000Z', attempted: 0, connected: 0, abandoned: 0 },
      { hour: '2024-05-01T12:00:00.000Z', attempted: 7, connected: 3, abandoned: 0 },
      { hour: '2024-05-01T13:00:00.000Z', attempted: 0, connected: 0, abandoned: 0 },
    ]);
  });

  it('sums wrap-up code groups and split answers back together: the totals equal extractCounts', () => {
    const first: AggregatesResponse = {
      results: [
        {
          group: { outboundCampaignId: campaignId, wrapUpCode: 'SALE' },
          data: [
            bucket('2024-05-01T08:00:00.000Z', 10, 5, 0),
            bucket('2024-05-01T10:00:00.000Z', 4, 2, 1),
          ],
        },
        {
          group: { outboundCampaignId: campaignId },
          data: [bucket('2024-05-01T08:00:00.000Z', 6, 1, 1)],
        },
      ],
    };
    const second: AggregatesResponse = {
      // a piece of a split interval; no group at all (the query filtered by campaign)
      results: [{ data: [bucket('2024-05-01T13:00:00.000Z', 3, 3, 0)] }],
    };
    const series = hourlySeries([first, second], campaignId, interval);
    expect(series.map((p) => p.attempted)).toEqual([16, 0, 4, 0, 0, 3]);
    expect(series.map((p) => p.connected)).toEqual([6, 0, 2, 0, 0, 3]);
    expect(series.map((p) => p.abandoned)).toEqual([1, 0, 1, 0, 0, 0]);
    const totals = [first, second]
      .map((r) => extractCounts(r, campaignId))
      .reduce((a, b) => ({
        ...a,
        attempted: a.attempted + b.attempted,
        connected: a.connected + b.connected,
        abandoned: a.abandoned + b.abandoned,
      }));
    const sum = (k: 'attempted' | 'connected' | 'abandoned') =>
      series.reduce((n, p) => n + p[k], 0);
    expect([sum('attempted'), sum('connected'), sum('abandoned')]).toEqual([
      totals.attempted,
      totals.connected,
      totals.abandoned,
    ]);
  });

  it('gives a window of zeros for an empty answer, skips entries without an interval and missing stats', () => {
    const resp: AggregatesResponse = {
      results: [
        {
          data: [
            { metrics: [{ metric: 'nOutboundAttempted', stats: { count: 5 } }] },
            {
              interval: '2024-05-01T11:00:00.000Z/2024-05-01T12:00:00.000Z',
              metrics: [
                { metric: 'nOutboundAttempted' },
                { metric: 'nOutboundConnected', stats: {} },
              ],
            },
          ],
        },
      ],
    };
    expect(hourlySeries({}, campaignId, interval)).toHaveLength(6);
    expect(hourlySeries({}, campaignId, interval).every((p) => p.attempted === 0)).toBe(true);
    expect(hourlySeries(resp, campaignId, interval).map((p) => p.attempted)).toEqual([
      0, 0, 0, 0, 0, 0,
    ]);
  });

  it('counts a bucket in the hour its start falls in, and widens the series rather than drop counts', () => {
    const resp: AggregatesResponse = {
      results: [
        {
          data: [
            bucket('2024-05-01T09:30:00.000Z', 2, 1, 0),
            bucket('2024-05-01T15:00:00.000Z', 1, 0, 0),
          ],
        },
      ],
    };
    const series = hourlySeries(resp, campaignId, interval);
    expect(series.map((p) => p.hour.slice(11, 13))).toEqual([
      '08',
      '09',
      '10',
      '11',
      '12',
      '13',
      '14',
      '15',
    ]);
    expect(series.map((p) => p.attempted)).toEqual([0, 2, 0, 0, 0, 0, 0, 1]);
  });
});

describe('fillHours', () => {
  it('fills the window and sums points of the same hour', () => {
    expect(
      fillHours(
        [
          { hour: '2024-05-01T11:00:00.000Z', attempted: 1, connected: 1, abandoned: 0 },
          { hour: '2024-05-01T11:20:00.000Z', attempted: 2, connected: 0, abandoned: 0 },
        ],
        '2024-05-01T10:00:00.000Z/2024-05-01T12:00:00.000Z',
      ),
    ).toEqual([
      { hour: '2024-05-01T10:00:00.000Z', attempted: 0, connected: 0, abandoned: 0 },
      { hour: '2024-05-01T11:00:00.000Z', attempted: 3, connected: 1, abandoned: 0 },
    ]);
  });
});
