import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AggregatesResponse } from './analytics/aggregate';
import { startSimulator, type Simulator } from './server';
import { aggregatesPath, api, getToken } from './testing/helpers';

const T0 = Date.parse('2025-06-01T08:00:00.000Z');
const MIN = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** The filter wrapup's client sends. */
const clientFilter = (id: string) => ({
  type: 'and',
  predicates: [
    { type: 'dimension', dimension: 'outboundCampaignId', operator: 'matches', value: id },
    { type: 'dimension', dimension: 'mediaType', operator: 'matches', value: 'voice' },
  ],
});
/** The same filter plus a no-op `or` branch, which takes the query off the campaign index. */
const withNoOpOr = (id: string) => ({
  type: 'or',
  clauses: [
    clientFilter(id),
    { type: 'and', predicates: [{ dimension: 'outboundCampaignId', operator: 'notExists' }] },
  ],
});

describe('aggregates over HTTP: campaign index vs full scan', () => {
  let sim: Simulator;
  let token: string;
  const ids = ['north', 'south', 'east', 'west'];
  const query = (body: unknown) => api<AggregatesResponse>(sim, token, aggregatesPath, body);

  beforeAll(async () => {
    sim = await startSimulator({ demoCampaigns: false, analyticsLagMs: 0 });
    token = await getToken(sim);
    for (const [i, id] of ids.entries()) {
      await sim.createCampaign({ id, contactCount: 80 + 40 * i });
      await sim.runToCompletion(id, { endAt: T0 + i * 25 * MIN, durationSeconds: 3600 });
    }
  });
  afterAll(() => sim.close());

  const cases = [
    { interval: `${iso(T0 - 2 * 60 * MIN)}/${iso(T0 + 3 * 60 * MIN)}` },
    { interval: `${iso(T0 - 40 * MIN)}/${iso(T0 + 20 * MIN)}`, granularity: 'PT10M' },
    {
      interval: `${iso(T0 - 30 * MIN)}/${iso(T0 + 80 * MIN)}`,
      groupBy: ['wrapUpCode'],
      granularity: 'PT30M',
    },
  ];

  for (const id of ids)
    it(`gives the same answer for ${id} on both paths`, async () => {
      for (const shape of cases) {
        const body = {
          ...shape,
          groupBy: ['outboundCampaignId', ...(shape.groupBy ?? [])],
          metrics: ['nOutboundAttempted', 'nOutboundConnected', 'tHandle', 'tTalk', 'tAcw'],
        };
        const scannedBefore = sim.state.scannedConversations;
        const indexed = await query({ ...body, filter: clientFilter(id) });
        const scannedIndexed = sim.state.scannedConversations - scannedBefore;
        const full = await query({ ...body, filter: withNoOpOr(id) });
        const scannedFull = sim.state.scannedConversations - scannedBefore - scannedIndexed;

        expect(indexed.status).toBe(200);
        expect(full.status).toBe(200);
        expect(indexed.body).toStrictEqual(full.body);
        expect(indexed.body.results?.[0]?.group.outboundCampaignId).toBe(id);
        expect(scannedIndexed).toBeGreaterThan(0);
        expect(scannedFull).toBeGreaterThan(scannedIndexed); // the fallback looked at other campaigns
      }
    });
});
