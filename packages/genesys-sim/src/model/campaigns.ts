import { randomUUID } from 'node:crypto';
import { createRandom, hashString } from '../random';
import { generateConversations, type ExactOutcomes } from './generate';
import { SimError, type SimState } from './state';
import {
  CAMPAIGN_STATUSES,
  DIALING_MODES,
  type CampaignStatus,
  type DialingMode,
  type ExpectedTotals,
  type SimCampaign,
} from './types';

export interface CreateCampaignInput {
  id?: string;
  name?: string;
  /** Contacts in the contact list (default 100). */
  contactCount?: number;
  alwaysRunning?: boolean;
  /** Initial status (default `on`). */
  status?: CampaignStatus;
  dialingMode?: DialingMode;
  /** Agents working the campaign (default 8). */
  agents?: number;
}

export interface RunOptions {
  /** Conversations' ends are spread over this many seconds, ending at `endAt` (default 3600). */
  durationSeconds?: number;
  /** Share of attempts that connect (default 0.3). */
  connectRate?: number;
  /** Share of connected calls abandoned for want of an agent (default 0). */
  abandonRate?: number;
  /** Mean tHandle in ms (default 120000). */
  avgHandleMs?: number;
  /** Seed for this run (default: derived from the simulator seed, the campaign id and the run number). */
  seed?: number;
  /** When the last conversation ends: ISO string or epoch ms (default now). */
  endAt?: string | number;
}

export interface CompleteOptions extends RunOptions {
  /** Exact numbers for this run instead of seeded rates. */
  outcomes?: ExactOutcomes;
}

export interface StopOptions extends RunOptions {
  /** Share of the remaining contacts dialled before the stop (default 0.4). */
  fraction?: number;
  /** `forced_off` instead of `off`. */
  forced?: boolean;
}

const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

function isInt(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min;
}

function isRate(v: unknown): v is number {
  return typeof v === 'number' && v >= 0 && v <= 1;
}

export function createCampaign(state: SimState, input: CreateCampaignInput = {}): SimCampaign {
  const id = input.id ?? randomUUID();
  if (!ID_PATTERN.test(id)) throw new SimError(400, 'id must be 1-128 letters, digits, -, _, ., :');
  if (state.campaigns.has(id)) throw new SimError(409, `campaign ${id} already exists`);
  const contactCount = input.contactCount ?? 100;
  if (!isInt(contactCount, 0)) throw new SimError(400, 'contactCount must be an integer >= 0');
  const status = input.status ?? 'on';
  if (!CAMPAIGN_STATUSES.includes(status))
    throw new SimError(400, `status must be one of ${CAMPAIGN_STATUSES.join(', ')}`);
  const dialingMode = input.dialingMode ?? 'predictive';
  if (!DIALING_MODES.includes(dialingMode))
    throw new SimError(400, `dialingMode must be one of ${DIALING_MODES.join(', ')}`);
  const agents = input.agents ?? 8;
  if (!isInt(agents, 1)) throw new SimError(400, 'agents must be an integer >= 1');

  const rng = createRandom(state.seed ^ hashString(`campaign:${id}`));
  const name = input.name ?? `Campaign ${id.slice(0, 8)}`;
  const now = state.now();
  const campaign: SimCampaign = {
    id,
    name,
    campaignStatus: status,
    dialingMode,
    contactList: { id: rng.uuid(), name: `${name} contacts` },
    queue: { id: rng.uuid(), name: 'Outbound Sales' },
    division: { id: rng.uuid(), name: 'Home' },
    alwaysRunning: input.alwaysRunning ?? false,
    version: 1,
    dateCreated: now,
    dateModified: now,
    contactCount,
    called: 0,
    skipped: {},
    agentIds: Array.from({ length: agents }, () => rng.uuid()),
    runs: 0,
  };
  state.campaigns.set(id, campaign);
  state.conversations.set(id, []);
  return campaign;
}

function parseEndAt(endAt: string | number | undefined, now: number): number {
  if (endAt === undefined) return now;
  const ms = typeof endAt === 'number' ? endAt : Date.parse(endAt);
  if (!Number.isFinite(ms)) throw new SimError(400, 'endAt must be an ISO date-time or epoch ms');
  return ms;
}

function checkRunOptions(opts: RunOptions): void {
  if (
    opts.durationSeconds !== undefined &&
    !(typeof opts.durationSeconds === 'number' && opts.durationSeconds > 0)
  )
    throw new SimError(400, 'durationSeconds must be > 0');
  if (opts.connectRate !== undefined && !isRate(opts.connectRate))
    throw new SimError(400, 'connectRate must be in 0..1');
  if (opts.abandonRate !== undefined && !isRate(opts.abandonRate))
    throw new SimError(400, 'abandonRate must be in 0..1');
  if (opts.avgHandleMs !== undefined && !isInt(opts.avgHandleMs, 1))
    throw new SimError(400, 'avgHandleMs must be an integer >= 1');
  if (opts.seed !== undefined && !Number.isInteger(opts.seed))
    throw new SimError(400, 'seed must be an integer');
}

function checkOutcomes(o: ExactOutcomes, remaining: number): void {
  const abandoned = o.abandoned ?? 0;
  if (
    !isInt(o.attempted, 0) ||
    !isInt(o.connected, 0) ||
    !isInt(abandoned, 0) ||
    !isInt(o.avgHandleMs, 1)
  )
    throw new SimError(
      400,
      'outcomes.attempted, connected, abandoned must be integers >= 0 and avgHandleMs >= 1',
    );
  if (o.connected > o.attempted)
    throw new SimError(400, 'outcomes.connected exceeds outcomes.attempted');
  if (abandoned > o.connected)
    throw new SimError(400, 'outcomes.abandoned exceeds outcomes.connected');
  if (o.attempted > remaining)
    throw new SimError(
      400,
      `outcomes.attempted (${o.attempted}) exceeds the ${remaining} contacts not yet called`,
    );
}

export function skippedTotal(campaign: SimCampaign): number {
  return Object.values(campaign.skipped).reduce((a, b) => a + b, 0);
}

function run(state: SimState, campaign: SimCampaign, count: number, opts: CompleteOptions): void {
  campaign.runs += 1;
  const seed = opts.seed ?? state.seed ^ hashString(`run:${campaign.id}:${campaign.runs}`);
  const conversations = generateConversations({
    campaign,
    count,
    endAtMs: parseEndAt(opts.endAt, state.now()),
    durationMs: (opts.durationSeconds ?? 3600) * 1000,
    connectRate: opts.connectRate ?? 0.3,
    abandonRate: opts.abandonRate ?? 0,
    avgHandleMs: opts.avgHandleMs ?? 120_000,
    exact: opts.outcomes,
    rng: createRandom(seed),
  });
  state.addConversations(campaign.id, conversations);
  campaign.called += conversations.length;
  // A campaign exists before its first call.
  const firstStart = conversations.reduce((min, c) => Math.min(min, c.startMs), Infinity);
  if (firstStart < campaign.dateCreated) campaign.dateCreated = firstStart - 60_000;
}

function setStatus(
  state: SimState,
  campaign: SimCampaign,
  status: CampaignStatus,
  atMs?: number,
): void {
  campaign.campaignStatus = status;
  campaign.version += 1;
  campaign.dateModified = atMs ?? state.now();
}

/**
 * Dials every contact not yet called (or exactly `outcomes.attempted`) and turns the campaign
 * `complete`, as the platform does when a campaign runs out of records. An `alwaysRunning`
 * campaign never completes by itself: it dials but stays `on`.
 */
export function completeCampaign(
  state: SimState,
  id: string,
  opts: CompleteOptions = {},
): SimCampaign {
  const campaign = state.getCampaign(id);
  if (campaign.campaignStatus === 'complete')
    throw new SimError(409, `campaign ${id} is already complete`);
  checkRunOptions(opts);
  const remaining = campaign.contactCount - campaign.called - skippedTotal(campaign);
  if (opts.outcomes) checkOutcomes(opts.outcomes, remaining);
  run(state, campaign, remaining, opts);
  // Contacts left undialled by exact outcomes count as skipped in progress.
  const left = campaign.contactCount - campaign.called - skippedTotal(campaign);
  if (left > 0) campaign.skipped.UNCALLABLE = (campaign.skipped.UNCALLABLE ?? 0) + left;
  if (!campaign.alwaysRunning)
    setStatus(state, campaign, 'complete', parseEndAt(opts.endAt, state.now()));
  return campaign;
}

/** Stops a campaign early: a share of the remaining contacts were dialled, status `off` (or `forced_off`). */
export function stopCampaign(state: SimState, id: string, opts: StopOptions = {}): SimCampaign {
  const campaign = state.getCampaign(id);
  if (campaign.campaignStatus !== 'on' && campaign.campaignStatus !== 'stopping')
    throw new SimError(409, `campaign ${id} is ${campaign.campaignStatus}, not on`);
  checkRunOptions(opts);
  const fraction = opts.fraction ?? 0.4;
  if (!isRate(fraction)) throw new SimError(400, 'fraction must be in 0..1');
  const remaining = campaign.contactCount - campaign.called - skippedTotal(campaign);
  run(state, campaign, Math.floor(remaining * fraction), opts);
  setStatus(
    state,
    campaign,
    opts.forced ? 'forced_off' : 'off',
    parseEndAt(opts.endAt, state.now()),
  );
  return campaign;
}

/** Starts (resumes) a campaign. Starting a complete campaign recycles its contact list. */
export function startCampaign(state: SimState, id: string): SimCampaign {
  const campaign = state.getCampaign(id);
  if (campaign.campaignStatus === 'on') return campaign;
  if (campaign.campaignStatus === 'complete') {
    campaign.called = 0;
    campaign.skipped = {};
  }
  setStatus(state, campaign, 'on');
  return campaign;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function expectedTotals(state: SimState, id: string): ExpectedTotals {
  const campaign = state.getCampaign(id);
  const list = state.conversations.get(id) ?? [];
  let connected = 0;
  let abandoned = 0;
  let handled = 0;
  let handleSumMs = 0;
  let firstStart = Infinity;
  let lastEnd = -Infinity;
  for (const c of list) {
    if (c.connected) connected++;
    if (c.abandoned) abandoned++;
    if (c.handleMs !== undefined) {
      handled++;
      handleSumMs += c.handleMs;
    }
    firstStart = Math.min(firstStart, c.startMs);
    lastEnd = Math.max(lastEnd, c.endMs);
  }
  const any = list.length > 0;
  return {
    campaignId: id,
    campaignStatus: campaign.campaignStatus,
    contactCount: campaign.contactCount,
    attempted: list.length,
    connected,
    abandoned,
    handled,
    handleSumMs,
    avgHandleSeconds: handled === 0 ? 0 : handleSumMs / handled / 1000,
    firstStart: any ? iso(firstStart) : null,
    lastEnd: any ? iso(lastEnd) : null,
    visibleAt: any ? iso(lastEnd + state.settings.analyticsLagMs) : null,
  };
}
