import * as v from 'valibot';
import { addCounts, AggregatesResponseSchema, extractCounts, splitInterval, zeroCounts, type AggregatesResponse, type AnalyticsCounts } from '@wrapup/shared';
import type { RateLimiter } from '../limiter';
import { campaignAggregatesQuery, MAX_QUERY_DAYS, type AggregatesQuery } from './genesys-analytics';
import { GenesysError, GenesysNotFound } from './genesys-errors';
import { errorFromResponse, safeJson, sendWithRetry, type GenesysLogger, type HttpPolicy, type HttpRequest } from './genesys-http';
import { CampaignProgressSchema, CampaignSchema, type Campaign, type CampaignProgress } from './genesys-schemas';
import { createTokenSource } from './genesys-token';

export interface GenesysClientOptions {
  /** `https://api.<region>` or a simulator; from config.genesys.apiUrl. */
  apiUrl: string;
  /** `https://login.<region>` or a simulator; from config.genesys.loginUrl. */
  loginUrl: string;
  clientId: string;
  clientSecret: string;
  /** Shared across processes; every call, the token request included, acquires a slot first. */
  limiter?: RateLimiter | undefined;
  /** Timeout of each HTTP exchange. */
  timeoutMs: number;
  logger: GenesysLogger;
  /** Bound on one call including its retries and rate-limit waits (default 180000). */
  maxRetryTimeMs?: number;
  /** Wait when a 429/502/503/504 has no Retry-After (default 3000). */
  defaultRetryAfterMs?: number;
  /** Give up when Retry-After asks for more (default 180000). */
  maxRetryAfterMs?: number;
  /** First backoff after a network error or timeout (default 500, doubled each time). */
  retryBaseMs?: number;
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
}

/** A Genesys Cloud API client: OAuth client credentials, rate limit, retries, validated answers. */
export function createGenesysClient(opts: GenesysClientOptions): GenesysClient {
  if (!opts.clientId || !opts.clientSecret) {
    throw new Error('Genesys client needs GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET');
  }
  const apiUrl = opts.apiUrl.replace(/\/+$/, '');
  const policy: HttpPolicy = {
    limiter: opts.limiter,
    logger: opts.logger,
    timeoutMs: opts.timeoutMs,
    maxRetryTimeMs: opts.maxRetryTimeMs ?? 180_000,
    defaultRetryAfterMs: opts.defaultRetryAfterMs ?? 3000,
    maxRetryAfterMs: opts.maxRetryAfterMs ?? 180_000,
    retryBaseMs: opts.retryBaseMs ?? 500,
  };
  const tokens = createTokenSource({
    loginUrl: opts.loginUrl.replace(/\/+$/, ''),
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    policy,
  });

  /** Authorised call; after a 401, one fresh token and one more try. Returns the parsed 2xx body. */
  async function call<S extends v.GenericSchema>(
    method: 'GET' | 'POST',
    path: string,
    what: string,
    schema: S,
    body?: unknown,
  ): Promise<v.InferOutput<S>> {
    let token = await tokens.get();
    const request = (bearer: string): HttpRequest => ({
      method,
      url: `${apiUrl}${path}`,
      headers: {
        authorization: `Bearer ${bearer}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // GETs and the read-only aggregates query may be repeated after a network error
      idempotent: true,
      what,
    });
    let req = request(token);
    let res = await sendWithRetry(req, policy);
    if (res.status === 401) {
      opts.logger.info({ what, correlationId: res.correlationId }, 'genesys token refused, fetching a new one');
      tokens.invalidate(token);
      token = await tokens.get();
      req = request(token);
      res = await sendWithRetry(req, policy);
    }
    if (res.status < 200 || res.status > 299) {
      const error = errorFromResponse(req, res);
      if (!(error instanceof GenesysNotFound)) {
        opts.logger.warn({ what, status: res.status, code: error.code, correlationId: res.correlationId }, 'genesys call failed');
      }
      throw error;
    }
    const parsed = v.safeParse(schema, safeJson(res.body));
    if (!parsed.success) {
      const issues = parsed.issues
        .slice(0, 3)
        .map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`)
        .join('; ');
      opts.logger.error({ what, correlationId: res.correlationId, issues }, 'genesys answer does not match the schema');
      throw new GenesysError(`${what} answered an unexpected body: ${issues}`, {
        status: res.status,
        code: 'bad_response',
        correlationId: res.correlationId,
        retryable: true,
      });
    }
    return parsed.output;
  }

  const campaignPath = (id: string) => `/api/v2/outbound/campaigns/${encodeURIComponent(id)}`;

  const client: GenesysClient = {
    async getCampaign(id) {
      try {
        return await call('GET', campaignPath(id), 'GET /api/v2/outbound/campaigns/{id}', CampaignSchema);
      } catch (err) {
        if (err instanceof GenesysNotFound) return undefined;
        throw err;
      }
    },

    getCampaignProgress(id) {
      return call('GET', `${campaignPath(id)}/progress`, 'GET /api/v2/outbound/campaigns/{id}/progress', CampaignProgressSchema);
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
  };
  return client;
}

export { GenesysError, GenesysNotFound, isGenesysError } from './genesys-errors';
export type { Campaign, CampaignProgress, KnownCampaignStatus } from './genesys-schemas';
export { CAMPAIGN_STATUSES } from './genesys-schemas';
export type { AggregatesQuery, AggregatesFilter } from './genesys-analytics';
export { campaignAggregatesQuery, CAMPAIGN_METRICS, MAX_QUERY_DAYS } from './genesys-analytics';
export type { GenesysLogger } from './genesys-http';
export type { AggregatesResponse, AnalyticsCounts } from '@wrapup/shared';
