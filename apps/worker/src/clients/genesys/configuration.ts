import * as v from 'valibot';
import { COMPLIANCE_DENOMINATORS, formatIssues } from '@wrapup/shared';
import { GenesysError, GenesysNotFound } from './errors';
import {
  correlationIdOf,
  createGenesysHttp,
  errorFromResponse,
  safeJson,
  send,
  type GenesysHttpOptions,
} from './http';
import { createTokenSource } from './token';

/**
 * The configuration calls of the compliance archive (apps/worker/src/compliance): the campaign as
 * Genesys returns it and the org's Outbound Settings. Built on the same got instance, token
 * handling and shared rate limiter as the main client (createGenesysHttp / createTokenSource), so
 * every call takes a limiter slot and is retried the same way; kept apart from client.ts so the
 * analytics client stays as it is.
 */

/**
 * `GET /api/v2/outbound/campaigns/{id}` (SDK `Campaign`). Loose: the whole object is archived as
 * Genesys returned it; only what the compliance check reads is typed. `abandonRate` is "the
 * targeted compliance abandon rate percentage" (5 = 5%).
 */
export const ConfiguredCampaignSchema = v.looseObject({
  id: v.string(),
  name: v.optional(v.string()),
  version: v.optional(v.number()),
  dialingMode: v.optional(v.string()),
  abandonRate: v.optional(v.nullable(v.number())),
});
export type ConfiguredCampaign = v.InferOutput<typeof ConfiguredCampaignSchema>;

/**
 * `GET /api/v2/outbound/settings` (SDK `OutboundSettings`): `complianceAbandonRateDenominator`
 * (`ALL_CALLS` or `CALLS_THAT_REACHED_QUEUE`; the SDK enum also has `OutdatedSdkVersion`, and a
 * value we do not know is kept as text) and `abandonSeconds`, both optional.
 */
export const OutboundSettingsSchema = v.looseObject({
  version: v.optional(v.number()),
  complianceAbandonRateDenominator: v.optional(v.string()),
  abandonSeconds: v.optional(v.number()),
});
export type OutboundSettings = v.InferOutput<typeof OutboundSettingsSchema>;

export const isKnownDenominator = (
  s: string | undefined,
): s is (typeof COMPLIANCE_DENOMINATORS)[number] =>
  COMPLIANCE_DENOMINATORS.includes(s as (typeof COMPLIANCE_DENOMINATORS)[number]);

export interface ConfigurationClient {
  /** The campaign as Genesys returns it now; undefined on a 404 (deleted). */
  getCampaign(id: string): Promise<ConfiguredCampaign | undefined>;
  getOutboundSettings(): Promise<OutboundSettings>;
}

export interface ConfigurationClientOptions extends GenesysHttpOptions {
  apiUrl: string;
  loginUrl: string;
  clientId: string;
  clientSecret: string;
}

export function createConfigurationClient(opts: ConfigurationClientOptions): ConfigurationClient {
  const apiUrl = opts.apiUrl.replace(/\/+$/, '');
  const http = createGenesysHttp(opts);
  const tokens = createTokenSource({
    loginUrl: opts.loginUrl.replace(/\/+$/, ''),
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    http,
    logger: opts.logger,
  });
  // a refused token: forget it and try once more with a fresh one (as the main client does)
  const api = http.extend({
    hooks: {
      afterResponse: [
        async (res, retryWithMergedOptions) => {
          if (res.statusCode !== 401) return res;
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

  async function get<S extends v.GenericSchema>(
    path: string,
    what: string,
    schema: S,
  ): Promise<v.InferOutput<S>> {
    const headers = { authorization: `Bearer ${await tokens.get()}`, accept: 'application/json' };
    const res = await send(api, what, `${apiUrl}${path}`, { method: 'GET', headers }, opts.logger);
    if (res.statusCode < 200 || res.statusCode > 299) throw errorFromResponse(what, res);
    const parsed = v.safeParse(schema, safeJson(res.body));
    if (!parsed.success)
      throw new GenesysError(
        `${what} answered an unexpected body: ${formatIssues(parsed.issues, 3)}`,
        {
          status: res.statusCode,
          code: 'bad_response',
          correlationId: correlationIdOf(res),
          retryable: true,
        },
      );
    return parsed.output;
  }

  return {
    async getCampaign(id) {
      try {
        return await get(
          `/api/v2/outbound/campaigns/${encodeURIComponent(id)}`,
          'GET /api/v2/outbound/campaigns/{id} (configuration)',
          ConfiguredCampaignSchema,
        );
      } catch (err) {
        if (err instanceof GenesysNotFound) return undefined;
        throw err;
      }
    },
    getOutboundSettings() {
      return get(
        '/api/v2/outbound/settings',
        'GET /api/v2/outbound/settings',
        OutboundSettingsSchema,
      );
    },
  };
}
