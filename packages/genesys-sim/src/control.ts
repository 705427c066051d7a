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
import type { CampaignCopy, CopyReason, CampaignStatus, ExpectedTotals } from './model/types';
import { campaignView, type CampaignView } from './model/views';
import type { SimSettings } from './options';
import {
  deliverFinish,
  GUIDE_STATUSES,
  type DeliveryOptions,
  type DeliveryResult,
  type FinishedCampaign,
} from './sender';
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

/** Delivers one published copy of a campaign to a webhook, as Genesys (relay or EventBridge) would. */
export interface DeliverCopyInput extends DeliveryOptions {
  url: string;
  /** The copy's `version` (default: the latest copy, the campaign's current status). */
  version?: number;
}

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
  };
}
