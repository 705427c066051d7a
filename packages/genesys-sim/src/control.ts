import * as v from 'valibot';
import {
  campaignCopies,
  completeCampaign,
  createCampaign,
  editCampaign,
  expectedTotals,
  startCampaign,
  stopCampaign,
  type CompleteOptions,
  type CreateCampaignInput,
  type EditOptions,
  type StartOptions,
  type StopOptions,
  type TimeRange,
} from './model/campaigns';
import { SimError, type RequestLogEntry, type SimState } from './model/state';
import {
  CAMPAIGN_STATUSES,
  DIALING_MODES,
  type CampaignCopy,
  type CopyReason,
  type CampaignStatus,
  type ExpectedTotals,
} from './model/types';
import { campaignView, type CampaignView } from './model/views';
import { COMPLIANCE_ABANDON_RATE_DENOMINATORS, type SimSettings } from './options';
import {
  deliverFinish,
  GUIDE_STATUSES,
  type DeliveryResult,
  type FinishedCampaign,
} from './sender';
import type { NotificationChannelView } from './notifications';
import { applySettings, type SettingsPatch } from './settings';

export type { CampaignView } from './model/views';

/** What completing or stopping a campaign answers. */
export interface RunResult {
  campaign: CampaignView;
  expected: ExpectedTotals;
}

/** A published campaign copy as the control API shows it. */
export interface CopyView {
  reason: CopyReason;
  version: number;
  campaignStatus: CampaignStatus;
  /** ISO UTC of the change. */
  at: string;
  /** The eventBody as published. */
  body: Record<string, unknown>;
}

/**
 * The control API's request bodies. They check types, known keys and fixed choices; ranges
 * (`errorRate` in 0..1, `agents` >= 1, ...) are checked by the operations themselves, which the
 * in-process Simulator helpers call too.
 */
const instant = v.union([v.string(), v.number()]);
const count = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(max));
const nonEmpty = v.pipe(v.string(), v.nonEmpty());

export const CreateCampaignBody = v.strictObject({
  id: v.optional(v.string()),
  name: v.optional(v.string()),
  contactCount: v.optional(v.number()),
  alwaysRunning: v.optional(v.boolean()),
  status: v.optional(
    v.picklist(CAMPAIGN_STATUSES, `must be one of ${CAMPAIGN_STATUSES.join(', ')}`),
  ),
  dialingMode: v.optional(v.picklist(DIALING_MODES, `must be one of ${DIALING_MODES.join(', ')}`)),
  agents: v.optional(v.number()),
  abandonTarget: v.optional(v.number()),
});

const runEntries = {
  durationSeconds: v.optional(v.number()),
  connectRate: v.optional(v.number()),
  abandonRate: v.optional(v.number()),
  avgHandleMs: v.optional(v.number()),
  maxAttemptsPerContact: v.optional(v.number()),
  recallRate: v.optional(v.number()),
  seed: v.optional(v.number()),
  endAt: v.optional(instant),
};

export const CompleteBody = v.strictObject({
  ...runEntries,
  outcomes: v.optional(
    v.strictObject({
      attempted: v.number(),
      connected: v.number(),
      avgHandleMs: v.number(),
      abandoned: v.optional(v.number()),
    }),
  ),
});

export const StopBody = v.strictObject({
  ...runEntries,
  fraction: v.optional(v.number()),
  forced: v.optional(v.boolean()),
  stoppingMs: v.optional(v.number()),
  stayStopping: v.optional(v.boolean()),
});

export const StartBody = v.strictObject({ at: v.optional(instant) });

export const EditBody = v.strictObject({ name: v.optional(nonEmpty), at: v.optional(instant) });

/** Delivers one published copy of a campaign to a webhook in a sender's shape (retries: see deliverFinish). */
export const DeliverCopyBody = v.strictObject({
  url: v.pipe(v.string(), v.url()),
  /** The copy's `version` (default: the latest copy, the campaign's current status). */
  version: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  shape: v.picklist(['guide', 'eventbridge', 'notification']),
  auth: v.optional(
    v.strictObject({
      secret: v.optional(v.string()),
      apiKey: v.optional(v.string()),
      apiKeyHeader: v.optional(v.picklist(['x-api-key', 'bearer'])),
    }),
  ),
  duplicates: v.optional(count(10)),
  retries: v.optional(count(10)),
  retryDelayMs: v.optional(count(60_000)),
  eventId: v.optional(nonEmpty),
  orgId: v.optional(nonEmpty),
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});
export type DeliverCopyInput = v.InferOutput<typeof DeliverCopyBody>;

const faultEntries = {
  errorRate: v.optional(v.number()),
  errorStatus: v.optional(v.picklist([500, 502, 503, 504], 'must be 500, 502, 503 or 504')),
  latencyMs: v.optional(v.number()),
  dropRate: v.optional(v.number()),
  failNext: v.optional(v.number()),
  dropNext: v.optional(v.number()),
  includeToken: v.optional(v.boolean()),
};

/** `POST /faults`: see SettingsPatch. */
export const SettingsBody = v.strictObject({
  ...faultEntries,
  faults: v.optional(v.strictObject(faultEntries)),
  tokenTtlSeconds: v.optional(v.number()),
  rateLimitPerMinute: v.optional(v.number()),
  tokenRateLimitPerMinute: v.optional(v.number()),
  retryAfterHeader: v.optional(v.boolean()),
  retryAfterSeconds: v.optional(v.nullable(v.number())),
  analyticsLagMs: v.optional(v.number()),
  analyticsLagJitterMs: v.optional(v.number()),
  omitOptionalFields: v.optional(v.number()),
  omitVersion: v.optional(v.boolean()),
  refuseUnknownIds: v.optional(v.boolean()),
  maxIntervalDays: v.optional(v.nullable(v.number())),
  notificationHeartbeatMs: v.optional(v.number()),
  notificationChannelTtlMs: v.optional(v.number()),
  notificationTopicLimit: v.optional(v.number()),
  notificationChannelLimit: v.optional(v.number()),
  socketClosingGraceMs: v.optional(v.number()),
  complianceAbandonRateDenominator: v.optional(v.picklist(COMPLIANCE_ABANDON_RATE_DENOMINATORS)),
  abandonSeconds: v.optional(v.number()),
});

/** `POST /notifications/refuse-sockets`. */
export const RefuseSocketsBody = v.strictObject({ on: v.boolean() });

export interface DeliverCopyResult extends DeliveryResult {
  copy: Omit<CopyView, 'body'>;
}

/** The control operations, shared by the `/__sim` routes and the Simulator helpers. */
export interface Control {
  createCampaign(input?: CreateCampaignInput): CampaignView;
  runToCompletion(id: string, opts?: CompleteOptions): RunResult;
  stopCampaign(id: string, opts?: StopOptions): RunResult;
  startCampaign(id: string, opts?: StartOptions): CampaignView;
  editCampaign(id: string, opts?: EditOptions): CampaignView;
  expected(id: string, range?: TimeRange): ExpectedTotals;
  copies(id: string): CopyView[];
  /** A published copy (default the latest) as a FinishedCampaign for buildFinishEvent/deliverFinish. */
  copyEvent(id: string, version?: number): FinishedCampaign;
  deliverCopy(id: string, input: DeliverCopyInput): Promise<DeliverCopyResult>;
  setFaults(patch: SettingsPatch): SimSettings;
  settings(): SimSettings;
  requestLog(): RequestLogEntry[];
  resetLog(): void;
  /** Invalidates every issued token (the next API call gets 401). */
  revokeTokens(): number;
  /** Every live notification channel: id, topics, connected, expires, messagesSent, ... */
  notifications(): NotificationChannelView[];
  /** A network cut: terminates every notification WebSocket without a close frame; answers how many. */
  dropSockets(): number;
  /** `v2.system.socket_closing` to every socket, each closed `socketClosingGraceMs` later; answers how many. */
  sendSocketClosing(): number;
  /** Expires every notification channel now (sockets closed, channels 404); answers how many. */
  expireChannels(): number;
  /** While on, WebSocket upgrades are refused (503), holding a listener offline. */
  setSocketsRefused(on: boolean): boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function copyView(copy: CampaignCopy): CopyView {
  return {
    reason: copy.reason,
    version: copy.version,
    campaignStatus: copy.campaignStatus,
    at: iso(copy.atMs),
    body: copy.body,
  };
}

function findCopy(state: SimState, id: string, version: number | undefined) {
  const copies = state.getCampaign(id).copies;
  const index =
    version === undefined ? copies.length - 1 : copies.findIndex((c) => c.version === version);
  const copy = copies[index];
  if (!copy)
    throw new SimError(
      404,
      `campaign ${id} has no published copy${version === undefined ? '' : ` with version ${version}`}`,
    );
  return { copies, index, copy };
}

/** The change a copy records (default the latest), ready for buildFinishEvent / deliverFinish. */
export function copyEvent(state: SimState, id: string, version?: number): FinishedCampaign {
  const campaign = state.getCampaign(id);
  const { copies, index, copy } = findCopy(state, id, version);
  // How long it ran: since the latest `on` (a start, or a creation as `on`) up to this copy.
  const on = copies
    .slice(0, index + 1)
    .reverse()
    .find((c) => c.reason === 'start' || (c.reason === 'create' && c.campaignStatus === 'on'));
  const durationSeconds = on ? Math.round((copy.atMs - on.atMs) / 1000) : 0;
  const name = copy.body.name;
  return {
    id,
    ...(typeof name === 'string' ? { name } : {}),
    status: copy.campaignStatus,
    occurredAt: iso(copy.atMs),
    ...(durationSeconds > 0 ? { durationSeconds } : {}),
    // The whole list is an expected count only for a campaign that ran through it.
    ...(copy.campaignStatus === 'complete' ? { contactCount: campaign.contactCount } : {}),
    copy: copy.body,
  };
}

export function createControl(state: SimState): Control {
  return {
    createCampaign: (input) => campaignView(createCampaign(state, input)),
    runToCompletion: (id, opts) => ({
      campaign: campaignView(completeCampaign(state, id, opts)),
      expected: expectedTotals(state, id),
    }),
    stopCampaign: (id, opts) => ({
      campaign: campaignView(stopCampaign(state, id, opts)),
      expected: expectedTotals(state, id),
    }),
    startCampaign: (id, opts) => campaignView(startCampaign(state, id, opts)),
    editCampaign: (id, opts) => campaignView(editCampaign(state, id, opts)),
    expected: (id, range) => expectedTotals(state, id, range),
    copies: (id) => campaignCopies(state, id).map(copyView),
    copyEvent: (id, version) => copyEvent(state, id, version),
    deliverCopy: async (id, input) => {
      const { copy } = findCopy(state, id, input.version);
      const event = copyEvent(state, id, copy.version);
      if (input.shape === 'guide' && !GUIDE_STATUSES.includes(event.status))
        throw new SimError(
          409,
          `the guide shape has only completed and stopped; copy version ${copy.version} is ${event.status}`,
        );
      const result = await deliverFinish({
        webhookUrl: input.url,
        campaign: event,
        shape: input.shape,
        ...(input.auth ? { auth: input.auth } : {}),
        ...(input.duplicates !== undefined ? { duplicates: input.duplicates } : {}),
        ...(input.retries !== undefined ? { retries: input.retries } : {}),
        ...(input.retryDelayMs !== undefined ? { retryDelayMs: input.retryDelayMs } : {}),
        ...(input.eventId !== undefined ? { eventId: input.eventId } : {}),
        ...(input.orgId !== undefined ? { orgId: input.orgId } : {}),
        ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
      });
      const { reason, version, campaignStatus, at } = copyView(copy);
      return { ...result, copy: { reason, version, campaignStatus, at } };
    },
    setFaults: (patch) => applySettings(state, patch),
    settings: () => state.settings,
    requestLog: () => state.requests.toArray(),
    resetLog: () => state.requests.clear(),
    revokeTokens: () => {
      const n = state.tokens.size;
      state.tokens.clear();
      return n;
    },
    notifications: () => state.notifications.views(),
    dropSockets: () => state.notifications.dropSockets(),
    sendSocketClosing: () => state.notifications.sendSocketClosing(),
    expireChannels: () => state.notifications.expireChannels(),
    setSocketsRefused: (on) => {
      if (typeof on !== 'boolean') throw new SimError(400, 'on must be a boolean');
      return state.notifications.setSocketsRefused(on);
    },
  };
}
