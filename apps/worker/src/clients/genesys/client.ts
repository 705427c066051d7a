import * as v from 'valibot';
import {
  addCounts,
  AggregatesResponseSchema,
  extractCounts,
  formatIssues,
  splitInterval,
  zeroCounts,
  type AggregatesResponse,
  type AnalyticsCounts,
} from '@wrapup/shared';
import { campaignAggregatesQuery, MAX_QUERY_DAYS, type AggregatesQuery } from './analytics';
import { GenesysError, GenesysNotFound } from './errors';
import {
  correlationIdOf,
  createGenesysHttp,
  errorFromResponse,
  safeJson,
  send,
  type GenesysHttpOptions,
} from './http';
import {
  CampaignListingSchema,
  CampaignProgressSchema,
  CampaignSchema,
  ChannelSchema,
  ChannelTopicsSchema,
  ConfiguredCampaignSchema,
  OutboundSettingsSchema,
  type Campaign,
  type CampaignProgress,
  type Channel,
  type ConfiguredCampaign,
  type OutboundSettings,
} from './schemas';
import type { SharedTokenOptions } from './shared-token';
import { createTokenSource } from './token';

export interface GenesysClientOptions extends GenesysHttpOptions {
  /** `https://api.<region>` or a simulator; from config.genesys.apiUrl. */
  apiUrl: string;
  /** `https://login.<region>` or a simulator; from config.genesys.loginUrl. */
  loginUrl: string;
  clientId: string;
  clientSecret: string;
  /**
   * Share the OAuth token with the other worker processes through this Redis (shared-token.ts:
   * encrypted under the client secret, one fetch at a time); unset: one token per client object.
   */
  sharedToken?: SharedTokenOptions | undefined;
}

export interface CampaignAnalytics {
  /** Summed over every piece of the interval. */
  counts: AnalyticsCounts;
  /** One answer per query (several when the interval was longer than 7 days). */
  raw: AggregatesResponse[];
  /** The intervals queried, in order. */
  intervals: string[];
}

export interface GenesysClient {
  /** The campaign, or undefined when Genesys answers 404. */
  getCampaign(id: string): Promise<Campaign | undefined>;
  /** Throws GenesysNotFound for an unknown campaign. */
  getCampaignProgress(id: string): Promise<CampaignProgress>;
  queryAggregates(body: AggregatesQuery): Promise<AggregatesResponse>;
  /** The campaign's outbound voice counts over `interval` (split into <= 7-day queries). */
  campaignAnalytics(a: { campaignId: string; interval: string }): Promise<CampaignAnalytics>;
  /**
   * Many campaigns in one call each 100 ids (`GET /api/v2/outbound/campaigns?id=..&id=..`, the
   * listing's bulk fetch); ids Genesys does not know are missing from the answer.
   */
  getCampaignsByIds(ids: readonly string[]): Promise<Campaign[]>;
  /**
   * Progress of many campaigns in one call each 100 ids (`POST /api/v2/outbound/campaigns/progress`
   * with the list of ids); each answer names its campaign (`campaign.id`).
   */
  getCampaignsProgress(ids: readonly string[]): Promise<CampaignProgress[]>;
  /**
   * Every campaign, page by page (`GET /api/v2/outbound/campaigns?pageSize=&pageNumber=`), each
   * page one rate-limited call. `pageSize` defaults to 100 (the listing's largest page).
   */
  listCampaigns(opts?: { pageSize?: number }): Promise<Campaign[]>;
  /** A new notification channel (`POST /api/v2/notifications/channels`). */
  createChannel(): Promise<Channel>;
  /**
   * Subscribes a channel to more topics (`POST .../channels/{id}/subscriptions`, which adds to the
   * existing list); answers the channel's whole topic list. A channel the platform dropped
   * answers 404 (GenesysNotFound).
   */
  addSubscriptions(channelId: string, topics: string[]): Promise<string[]>;
  /**
   * The campaign as Genesys returns it now, every field kept (the compliance archive); undefined
   * on a 404 (deleted).
   */
  getCampaignConfiguration(id: string): Promise<ConfiguredCampaign | undefined>;
  /** The org's Outbound Settings (`GET /api/v2/outbound/settings`). */
  getOutboundSettings(): Promise<OutboundSettings>;
}

/**
 * Ids per bulk campaign call: the listing answers at most 100 a page (SDK: "The max that will be
 * returned is 100"); the progress list's maximum is unverified, 100 is assumed (platform-facts).
 */
export const MAX_IDS_PER_CALL = 100;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A Genesys Cloud API client: OAuth client credentials, rate limit, retries, validated answers. */
export function createGenesysClient(opts: GenesysClientOptions): GenesysClient {
  if (!opts.clientId || !opts.clientSecret) {
    throw new Error('Genesys client needs GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET');
  }
  const apiUrl = opts.apiUrl.replace(/\/+$/, '');
  const http = createGenesysHttp(opts);
  const tokens = createTokenSource({
    loginUrl: opts.loginUrl.replace(/\/+$/, ''),
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    http,
    logger: opts.logger,
    shared: opts.sharedToken,
  });
  // After a 401: forget the refused token, get a fresh one and try once more (got drops this hook
  // for the retry, so a second 401 is final).
  const api = http.extend({
    hooks: {
      afterResponse: [
        async (res, retryWithMergedOptions) => {
          if (res.statusCode !== 401) return res;
          opts.logger.info(
            { what: res.request.options.context.what, correlationId: correlationIdOf(res) },
            'genesys token refused, fetching a new one',
          );
          tokens.invalidate(
            String(res.request.options.headers.authorization).replace(/^Bearer /, ''),
          );
          return retryWithMergedOptions({
            headers: { authorization: `Bearer ${await tokens.get()}` },
          });
        },
      ],
    },
  });

  /** Authorised call (see `api` for the 401). Returns the parsed 2xx body. */
  async function call<S extends v.GenericSchema>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    what: string,
    schema: S,
    body?: unknown,
  ): Promise<v.InferOutput<S>> {
    const headers = { authorization: `Bearer ${await tokens.get()}`, accept: 'application/json' };
    const res = await send(
      api,
      what,
      `${apiUrl}${path}`,
      { method, headers, ...(body === undefined ? {} : { json: body }) },
      opts.logger,
    );
    const correlationId = correlationIdOf(res);
    if (res.statusCode < 200 || res.statusCode > 299) {
      const error = errorFromResponse(what, res);
      if (!(error instanceof GenesysNotFound)) {
        opts.logger.warn(
          { what, status: res.statusCode, code: error.code, correlationId },
          'genesys call failed',
        );
      }
      throw error;
    }
    const parsed = v.safeParse(schema, safeJson(res.body));
    if (!parsed.success) {
      const issues = formatIssues(parsed.issues, 3);
      opts.logger.error(
        { what, correlationId, issues },
        'genesys answer does not match the schema',
      );
      throw new GenesysError(`${what} answered an unexpected body: ${issues}`, {
        status: res.statusCode,
        code: 'bad_response',
        correlationId,
        retryable: true,
      });
    }
    return parsed.output;
  }

  /** A read whose 404 means "no such campaign": undefined instead of the error. */
  const absentOn404 = <T>(read: Promise<T>): Promise<T | undefined> =>
    read.catch((err: unknown) => {
      if (err instanceof GenesysNotFound) return undefined;
      throw err;
    });

  const campaignPath = (id: string) => `/api/v2/outbound/campaigns/${encodeURIComponent(id)}`;

  const channelPath = (id: string) => `/api/v2/notifications/channels/${encodeURIComponent(id)}`;

  const client: GenesysClient = {
    getCampaign(id) {
      return absentOn404(
        call('GET', campaignPath(id), 'GET /api/v2/outbound/campaigns/{id}', CampaignSchema),
      );
    },

    getCampaignProgress(id) {
      return call(
        'GET',
        `${campaignPath(id)}/progress`,
        'GET /api/v2/outbound/campaigns/{id}/progress',
        CampaignProgressSchema,
      );
    },

    async getCampaignsByIds(ids) {
      const out: Campaign[] = [];
      for (const chunk of chunks([...new Set(ids)], MAX_IDS_PER_CALL)) {
        const query = chunk.map((id) => `id=${encodeURIComponent(id)}`).join('&');
        const page = await call(
          'GET',
          `/api/v2/outbound/campaigns?pageSize=${MAX_IDS_PER_CALL}&pageNumber=1&${query}`,
          'GET /api/v2/outbound/campaigns?id=',
          CampaignListingSchema,
        );
        out.push(...page.entities);
      }
      return out;
    },

    async getCampaignsProgress(ids) {
      const out: CampaignProgress[] = [];
      for (const chunk of chunks([...new Set(ids)], MAX_IDS_PER_CALL)) {
        out.push(
          ...(await call(
            'POST',
            '/api/v2/outbound/campaigns/progress',
            'POST /api/v2/outbound/campaigns/progress',
            v.array(CampaignProgressSchema),
            chunk,
          )),
        );
      }
      return out;
    },

    queryAggregates(body) {
      return call(
        'POST',
        '/api/v2/analytics/conversations/aggregates/query',
        'POST /api/v2/analytics/conversations/aggregates/query',
        AggregatesResponseSchema,
        body,
      );
    },

    async campaignAnalytics({ campaignId, interval }) {
      const intervals = splitInterval(interval, MAX_QUERY_DAYS);
      const raw: AggregatesResponse[] = [];
      let counts = zeroCounts();
      for (const piece of intervals) {
        const resp = await client.queryAggregates(campaignAggregatesQuery(campaignId, piece));
        raw.push(resp);
        counts = addCounts(counts, extractCounts(resp, campaignId));
      }
      return { counts, raw, intervals };
    },

    async listCampaigns({ pageSize = 100 } = {}) {
      const all: Campaign[] = [];
      for (let pageNumber = 1; ; pageNumber++) {
        const page = await call(
          'GET',
          `/api/v2/outbound/campaigns?pageSize=${pageSize}&pageNumber=${pageNumber}`,
          'GET /api/v2/outbound/campaigns',
          CampaignListingSchema,
        );
        all.push(...page.entities);
        const size = page.pageSize ?? pageSize;
        const pages =
          page.pageCount ?? (page.total !== undefined ? Math.ceil(page.total / size) : undefined);
        // no page count and no total: a short page is the last one
        const more = pages !== undefined ? pageNumber < pages : page.entities.length >= size;
        if (!more || page.entities.length === 0) return all;
      }
    },

    createChannel() {
      return call(
        'POST',
        '/api/v2/notifications/channels',
        'POST /api/v2/notifications/channels',
        ChannelSchema,
      );
    },

    async addSubscriptions(channelId, topics) {
      const listing = await call(
        'POST',
        `${channelPath(channelId)}/subscriptions`,
        'POST /api/v2/notifications/channels/{id}/subscriptions',
        ChannelTopicsSchema,
        topics.map((id) => ({ id })),
      );
      return listing.entities.map((t) => t.id);
    },

    getCampaignConfiguration(id) {
      return absentOn404(
        call(
          'GET',
          campaignPath(id),
          'GET /api/v2/outbound/campaigns/{id} (configuration)',
          ConfiguredCampaignSchema,
        ),
      );
    },

    getOutboundSettings() {
      return call(
        'GET',
        '/api/v2/outbound/settings',
        'GET /api/v2/outbound/settings',
        OutboundSettingsSchema,
      );
    },
  };
  return client;
}

export { GenesysError, GenesysNotFound, isGenesysError } from './errors';
export type {
  Campaign,
  CampaignProgress,
  Channel,
  ConfiguredCampaign,
  KnownCampaignStatus,
  OutboundSettings,
} from './schemas';
export { CAMPAIGN_STATUSES } from './schemas';
export type { AggregatesQuery, AggregatesFilter } from './analytics';
export { campaignAggregatesQuery, CAMPAIGN_METRICS, MAX_QUERY_DAYS } from './analytics';
export type { GenesysLogger } from './http';
export type { SharedTokenOptions } from './shared-token';
export type { AggregatesResponse, AnalyticsCounts } from '@wrapup/shared';
