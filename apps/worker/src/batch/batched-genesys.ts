import type { AnalyticsCounts, HourlyPoint } from '@wrapup/shared';
import type { GenesysClient } from '../clients/genesys/client';
import { GenesysError, GenesysNotFound } from '../clients/genesys/errors';
import type { Campaign } from '../clients/genesys/schemas';
import type { AnalyticsGenesys } from '../processors/analytics';
import {
  BatchTimeout,
  type BatchAnswer,
  type BatchCoordinator,
  type BatchRequest,
  type BatchSender,
} from './coordinator';
import {
  batchable,
  DEFAULT_BATCH_LIMITS,
  entryCounts,
  entryHourly,
  IndexedAnswer,
  planBatch,
  type BatchLimits,
  type PlannedQuery,
  type WindowEntry,
} from './plan';

type Client = Pick<
  GenesysClient,
  | 'getCampaign'
  | 'getCampaignProgress'
  | 'campaignAnalytics'
  | 'getCampaignsByIds'
  | 'getCampaignsProgress'
  | 'queryAggregates'
>;

const failure = (err: unknown): BatchAnswer => ({
  ok: false,
  message: err instanceof Error ? err.message : String(err),
  retryable: !(err instanceof GenesysError) || err.retryable,
  ...(err instanceof GenesysError && { code: err.code, status: err.status }),
});

/** A 400 the API gives a query it refuses (too many predicates, too long, too many buckets). */
const refused = (err: unknown) => err instanceof GenesysError && err.status === 400;

/**
 * Sends one batch with the bulk endpoints: campaigns by id (`GET /api/v2/outbound/campaigns?id=`),
 * progress by id (`POST /api/v2/outbound/campaigns/progress`) and the planned aggregates queries
 * (see plan.ts). A query the API refuses (400) is split (campaigns halved, or windows queried
 * apart) until it is accepted or holds one run, whose answer is then the error itself.
 */
export function createBatchSender(
  client: Client,
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): BatchSender {
  return async (requests) => {
    const answers = new Map<string, BatchAnswer>();
    const campaigns: [string, string][] = [];
    const progress: [string, string][] = [];
    const windows: [string, WindowEntry][] = [];
    for (const [key, r] of requests) {
      if (r.kind === 'campaign') campaigns.push([key, r.campaignId]);
      else if (r.kind === 'progress') progress.push([key, r.campaignId]);
      else windows.push([key, { campaignId: r.campaignId, interval: r.interval }]);
    }

    const lookups = () =>
      byIds(
        campaigns,
        async (ids) =>
          new Map((await client.getCampaignsByIds(ids)).map((c) => [c.id, c] as const)),
        answers,
      );
    const progresses = () =>
      byIds(
        progress,
        async (ids) =>
          new Map(
            (await client.getCampaignsProgress(ids)).flatMap((p) =>
              p.campaign ? [[p.campaign.id, p] as const] : [],
            ),
          ),
        answers,
      );
    const aggregates = async () => {
      const entries = windows.map(([, e]) => e);
      await Promise.all(
        planBatch(entries, limits).map((q) =>
          runQuery(client, q, entries, limits, (i, answer) =>
            answers.set((windows[i] as [string, WindowEntry])[0], answer),
          ),
        ),
      );
    };
    await Promise.all([lookups(), progresses(), aggregates()]);
    return answers;
  };
}

/**
 * One bulk call for every id (a campaign not in the answer is `null`). A call the API refuses for
 * what it was asked (400/404: an id it will not take, say a deleted or malformed one; whether the
 * platform refuses a whole list for one such id is unverified) is halved until each part is
 * accepted or holds one id, whose answer is then the error: one bad id never fails the rest.
 */
async function byIds(
  entries: readonly (readonly [key: string, id: string])[],
  call: (ids: string[]) => Promise<Map<string, unknown>>,
  answers: Map<string, BatchAnswer>,
): Promise<void> {
  if (entries.length === 0) return;
  try {
    const found = await call(entries.map(([, id]) => id));
    for (const [key, id] of entries) answers.set(key, { ok: true, value: found.get(id) ?? null });
  } catch (err) {
    if (entries.length === 1 || !refusedIds(err)) {
      for (const [key] of entries) answers.set(key, failure(err));
      return;
    }
    const half = entries.length >> 1;
    await Promise.all([
      byIds(entries.slice(0, half), call, answers),
      byIds(entries.slice(half), call, answers),
    ]);
  }
}

const refusedIds = (err: unknown) =>
  err instanceof GenesysError && (err.status === 400 || err.status === 404);

async function runQuery(
  client: Client,
  q: PlannedQuery,
  entries: readonly WindowEntry[],
  limits: BatchLimits,
  answer: (index: number, a: BatchAnswer) => void,
): Promise<void> {
  try {
    const resp = new IndexedAnswer(await client.queryAggregates(q.body));
    for (const i of q.members) {
      const entry = entries[i] as WindowEntry;
      const counts: AnalyticsCounts = entryCounts(resp, entry, q.bucketed);
      const hourly = q.bucketed ? entryHourly(resp, entry) : undefined;
      answer(i, { ok: true, value: { counts, ...(hourly && { hourly }) } });
    }
  } catch (err) {
    if (!refused(err) || q.members.length === 1) {
      for (const i of q.members) answer(i, failure(err));
      return;
    }
    // refused: split it (halve the campaigns; a bucketed query of one campaign goes window by window)
    const members = q.members.map((i) => entries[i] as WindowEntry);
    const campaigns = [...new Set(members.map((e) => e.campaignId))];
    const parts: number[][] =
      campaigns.length > 1
        ? [campaigns.slice(0, campaigns.length >> 1), campaigns.slice(campaigns.length >> 1)].map(
            (half) =>
              q.members.filter((i) => half.includes((entries[i] as WindowEntry).campaignId)),
          )
        : q.members.map((i) => [i]);
    await Promise.all(
      parts.map(async (part) => {
        const sub = part.map((i) => entries[i] as WindowEntry);
        const planned = planBatch(sub, limits).map((p) => ({
          ...p,
          members: p.members.map((j) => part[j] as number),
        }));
        // a part planned back into the same single query cannot get further: answer the error
        if (planned.length === 1 && part.length === q.members.length) {
          for (const i of part) answer(i, failure(err));
          return;
        }
        await Promise.all(planned.map((p) => runQuery(client, p, entries, limits, answer)));
      }),
    );
  }
}

/**
 * What the analytics stage and the inventory use from Genesys, answered through the batch: the
 * campaign lookup, its progress and the aggregates check of a run join the batch about to be sent
 * (across worker processes); a window longer than one query may span is queried on its own, and a
 * request no batch answered in time (its sender died) falls back to the direct call.
 */
export function batchedGenesys(
  client: Client,
  coordinator: Pick<BatchCoordinator, 'request'>,
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): AnalyticsGenesys & Pick<GenesysClient, 'getCampaign'> {
  async function ask<T>(req: BatchRequest, direct: () => Promise<T>): Promise<unknown> {
    try {
      return await coordinator.request(req);
    } catch (err) {
      if (err instanceof BatchTimeout) return direct();
      throw err;
    }
  }
  return {
    async getCampaign(id) {
      const value = await ask({ kind: 'campaign', campaignId: id }, () => client.getCampaign(id));
      return (value ?? undefined) as Campaign | undefined;
    },
    async getCampaignProgress(id) {
      const value = await ask({ kind: 'progress', campaignId: id }, () =>
        client.getCampaignProgress(id),
      );
      if (value === null || value === undefined)
        throw new GenesysNotFound(`progress of campaign ${id}: not in the bulk answer`);
      // a CampaignProgress from the bulk answer (or the direct call)
      return value;
    },
    async campaignAnalytics({ campaignId, interval }) {
      if (!batchable(interval, limits)) return client.campaignAnalytics({ campaignId, interval });
      const value = await ask({ kind: 'analytics', campaignId, interval }, () =>
        client.campaignAnalytics({ campaignId, interval }),
      );
      // a batch answers { counts, hourly? }; the direct fallback { counts, raw, ... } (no hourly)
      const { counts, hourly } = value as { counts: AnalyticsCounts; hourly?: HourlyPoint[] };
      return hourly ? { counts, hourly } : { counts };
    },
  };
}
