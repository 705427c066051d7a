import * as v from 'valibot';
import { CAMPAIGN_STATUSES } from '@wrapup/shared';

/**
 * What wrapup reads from Genesys Cloud answers. Loose objects: unknown fields are kept, so a
 * platform that adds fields never breaks the client.
 */

const NamedRefSchema = v.looseObject({ id: v.string(), name: v.optional(v.string()) });

export const TokenResponseSchema = v.looseObject({
  access_token: v.pipe(v.string(), v.minLength(1)),
  token_type: v.optional(v.string()),
  expires_in: v.pipe(v.number(), v.minValue(0)),
});
export type TokenResponse = v.InferOutput<typeof TokenResponseSchema>;

/** Known `campaignStatus` values; others are accepted as plain strings. */
export { CAMPAIGN_STATUSES };
export type KnownCampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** `GET /api/v2/outbound/campaigns/{id}`. */
export const CampaignSchema = v.looseObject({
  id: v.string(),
  name: v.string(),
  // optional in the SDK model ("required for updates"); a copy without it tells nothing
  campaignStatus: v.optional(v.string()),
  dialingMode: v.optional(v.string()),
  contactList: v.optional(NamedRefSchema),
  alwaysRunning: v.optional(v.boolean()),
  version: v.optional(v.number()),
  dateModified: v.optional(v.string()),
});
export type Campaign = v.InferOutput<typeof CampaignSchema>;

/**
 * `GET /api/v2/outbound/campaigns/{id}` (SDK `Campaign`) read for the compliance archive. Loose:
 * the whole object is archived as Genesys returned it; only what the compliance check reads is
 * typed (`name` optional here, so an odd campaign is still archived). `abandonRate` is "the
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

/**
 * `GET /api/v2/outbound/campaigns` (`CampaignEntityListing` in the platform-client SDKs): one page.
 * `pageCount` may be missing; then `total` and `pageSize` tell whether more pages follow.
 */
export const CampaignListingSchema = v.looseObject({
  entities: v.optional(v.array(CampaignSchema), []),
  pageSize: v.optional(v.number()),
  pageNumber: v.optional(v.number()),
  total: v.optional(v.number()),
  pageCount: v.optional(v.number()),
});

/**
 * `POST /api/v2/notifications/channels` (SDK model `Channel`: `connectUri`, `id`, `expires`). The
 * WebSocket at `connectUri` delivers the channel's topics; `expires` is when the platform drops it.
 */
export const ChannelSchema = v.looseObject({
  id: v.string(),
  connectUri: v.string(),
  expires: v.optional(v.string()),
});
export type Channel = v.InferOutput<typeof ChannelSchema>;

/** `POST|PUT /api/v2/notifications/channels/{id}/subscriptions` (SDK `ChannelTopicEntityListing`). */
export const ChannelTopicsSchema = v.looseObject({
  entities: v.optional(v.array(v.looseObject({ id: v.string() })), []),
});

/** `GET /api/v2/outbound/campaigns/{id}/progress`. */
export const CampaignProgressSchema = v.looseObject({
  campaign: v.optional(NamedRefSchema),
  contactList: v.optional(NamedRefSchema),
  // optional in the SDK model (platform-client CampaignProgress); missing means "unknown"
  numberOfContactsCalled: v.optional(v.number()),
  numberOfContactsMessaged: v.optional(v.number()),
  totalNumberOfContacts: v.optional(v.number()),
  percentage: v.optional(v.number()),
  numberOfContactsSkipped: v.optional(v.record(v.string(), v.number())),
});
export type CampaignProgress = v.InferOutput<typeof CampaignProgressSchema>;

/** A Genesys error body: `{message, code, status, contextId?}` (all optional here). */
export const ErrorBodySchema = v.looseObject({
  message: v.optional(v.string()),
  code: v.optional(v.string()),
  status: v.optional(v.number()),
});
