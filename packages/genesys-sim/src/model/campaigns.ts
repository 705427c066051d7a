import { randomUUID } from 'node:crypto';
import { createRandom, hashString } from '../random';
import { generateConversations, type ExactOutcomes } from './generate';
import { SimError, type SimState } from './state';
import {
  CAMPAIGN_STATUSES,
  DIALING_MODES,
  type CampaignCopy,
  type CampaignStatus,
  type CopyReason,
  type DialingMode,
  type ExpectedTotals,
  type SimCampaign,
  type SimConversation,
} from './types';
import { campaignView, progressView, skippedTotal } from './views';

export { skippedTotal } from './views';

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
  /**
   * The campaign's `abandonRate` as Genesys serves it: the targeted compliance abandon rate, a
   * percentage (default 5 = 5%). Runs' own `abandonRate` option (a share) sets what they abandon.
   */
  abandonTarget?: number;
}

/** An instant as ISO-8601 text or epoch ms. */
export type Instant = string | number;

export interface RunOptions {
  /** Dials are spread over this many seconds, the last one at `endAt` (default 3600). */
  durationSeconds?: number;
  /** Share of dials that connect (default 0.3). */
  connectRate?: number;
  /** Share of connected calls abandoned for want of an agent (default 0). */
  abandonRate?: number;
  /**
   * Mean tHandle in ms (default 120000). Ring, alert and hang-up times shrink with it below
   * 120 s, so a small value (e.g. 1500) keeps a whole run, after-call work included, within seconds.
   */
  avgHandleMs?: number;
  /** Dials per contact at most, first dial included (default 3; 1 turns recalls off). */
  maxAttemptsPerContact?: number;
  /** Chance that an unanswered dial is dialled again while attempts are left (default 0.5). */
  recallRate?: number;
  /** Seed for this run (default: derived from the simulator seed, the campaign id and the run number). */
  seed?: number;
  /**
   * When the campaign finishes (or stops): the last dial is placed then (default now). Calls in
   * progress go on after it, so the last tHandle/tAcw come later.
   */
  endAt?: Instant;
}

export interface CompleteOptions extends RunOptions {
  /** Exact numbers for this run instead of seeded rates (one dial per contact, no recalls). */
  outcomes?: ExactOutcomes;
}

export interface StopOptions extends RunOptions {
  /** Share of the remaining contacts dialled before the stop (default 0.4). */
  fraction?: number;
  /** `forced_stopping` -> `forced_off` instead of `stopping` -> `off`. */
  forced?: boolean;
  /** From `stopping` to `off` takes this long after the last dial (default 1000 ms). */
  stoppingMs?: number;
  /**
   * Stay `stopping` (or `forced_stopping`); a second stop call then turns the campaign `off`
   * (or `forced_off`) without dialling.
   */
  stayStopping?: boolean;
}

export interface StartOptions {
  /** When the campaign turns `on` (default now). */
  at?: Instant;
}

export interface EditOptions {
  /** A new name; the edit bumps `version` and `dateModified` and keeps the status either way. */
  name?: string;
  /** When the edit happens (default now). */
  at?: Instant;
}

/** A dial-time range for expected totals: start inclusive, end exclusive. */
export interface TimeRange {
  from?: Instant;
  to?: Instant;
}

const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

function isInt(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min;
}

function isRate(v: unknown): v is number {
  return typeof v === 'number' && v >= 0 && v <= 1;
}

function parseInstant(value: Instant | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new SimError(400, `${field} must be an ISO date-time or epoch ms`);
  return ms;
}

/**
 * Records a new copy of the campaign as published on `v2.outbound.campaigns.{id}`. `dateModified`
 * (with the `omitOptionalFields` chance) and `version` (with `omitVersion`) are optional in the
 * SDK's Campaign model, so a copy may come without them.
 */
function publish(state: SimState, campaign: SimCampaign, reason: CopyReason): void {
  const body: Record<string, unknown> = { ...campaignView(campaign) };
  if (state.settings.omitVersion) delete body.version;
  if (state.omitOptional()) delete body.dateModified;
  campaign.copies.push({
    reason,
    version: campaign.version,
    campaignStatus: campaign.campaignStatus,
    atMs: campaign.dateModified,
    body,
  });
  // Out on the Notification API to every channel subscribed with a socket open right now; the
  // progress topic along with it (assumed timing). Bodies are built only when someone listens.
  const topic = `v2.outbound.campaigns.${campaign.id}`;
  state.notifications.publish(topic, body);
  state.notifications.publish(`${topic}.progress`, () =>
    progressView(campaign, { omitCalled: state.omitOptional() }),
  );
}

/** A change the platform publishes: `version` + 1, `dateModified`, a new copy. */
function change(
  state: SimState,
  campaign: SimCampaign,
  status: CampaignStatus,
  atMs: number,
  reason: CopyReason,
): void {
  campaign.campaignStatus = status;
  campaign.version += 1;
  campaign.dateModified = atMs;
  publish(state, campaign, reason);
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
  if (
    input.abandonTarget !== undefined &&
    !(
      typeof input.abandonTarget === 'number' &&
      input.abandonTarget >= 0 &&
      input.abandonTarget <= 100
    )
  )
    throw new SimError(400, 'abandonTarget must be a percentage in 0..100');

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
    ...(input.abandonTarget !== undefined && { abandonTarget: input.abandonTarget }),
    version: 1,
    dateCreated: now,
    dateModified: now,
    contactCount,
    called: 0,
    skipped: {},
    agentIds: Array.from({ length: agents }, () => rng.uuid()),
    runs: 0,
    cycle: 1,
    copies: [],
  };
  publish(state, campaign, 'create');
  state.campaigns.set(id, campaign);
  state.conversations.set(id, []);
  return campaign;
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
  if (opts.maxAttemptsPerContact !== undefined && !isInt(opts.maxAttemptsPerContact, 1))
    throw new SimError(400, 'maxAttemptsPerContact must be an integer >= 1');
  if (opts.recallRate !== undefined && !isRate(opts.recallRate))
    throw new SimError(400, 'recallRate must be in 0..1');
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

const remainingContacts = (c: SimCampaign): number => c.contactCount - c.called - skippedTotal(c);

/** Dials `contacts` contacts from where the campaign stands in its list; the last dial at `finishMs`. */
function dial(
  state: SimState,
  campaign: SimCampaign,
  contacts: number,
  finishMs: number,
  opts: CompleteOptions,
): void {
  campaign.runs += 1;
  const seed = opts.seed ?? state.seed ^ hashString(`run:${campaign.id}:${campaign.runs}`);
  const durationMs = (opts.durationSeconds ?? 3600) * 1000;
  const conversations = generateConversations({
    campaign,
    firstContact: campaign.called,
    contacts,
    finishMs,
    durationMs,
    connectRate: opts.connectRate ?? 0.3,
    abandonRate: opts.abandonRate ?? 0,
    avgHandleMs: opts.outcomes?.avgHandleMs ?? opts.avgHandleMs ?? 120_000,
    maxAttemptsPerContact: opts.maxAttemptsPerContact ?? 3,
    recallRate: opts.recallRate ?? 0.5,
    exact: opts.outcomes,
    rng: createRandom(seed),
  });
  state.addConversations(campaign.id, conversations);
  campaign.called += conversations.filter((c) => c.attempt === 1).length;
  // A campaign exists, and was turned on, before its first call: a campaign created "now" whose
  // first run lies in the past gets its creation moved back.
  const firstStart = conversations.reduce((min, c) => Math.min(min, c.startMs), Infinity);
  if (firstStart < campaign.dateCreated) {
    campaign.dateCreated = firstStart - 60_000;
    const created = campaign.copies.length === 1 ? campaign.copies[0] : undefined;
    if (campaign.version === 1 && created) {
      campaign.dateModified = campaign.dateCreated;
      campaign.copies = [];
      publish(state, campaign, created.reason);
    }
  }
}

/** Turns a paused campaign `on` before it dials again (its `on` copy is published too). */
function resumeIfPaused(state: SimState, campaign: SimCampaign, atMs: number): void {
  const s = campaign.campaignStatus;
  if (s === 'stopping' || s === 'forced_stopping')
    throw new SimError(409, `campaign ${campaign.id} is ${s}: finish the stop first`);
  if (s !== 'on') change(state, campaign, 'on', Math.max(atMs, campaign.dateModified), 'start');
}

/**
 * Dials every contact not yet called (or exactly `outcomes.attempted` contacts), unanswered ones
 * again up to `maxAttemptsPerContact`, and turns the campaign `complete` at the last dial. Verified
 * (help pages): a campaign that runs out of records turns itself `complete`. Assumed, unverified:
 * the change happens at the last dial and calls in progress finish after it (so their handle
 * time posts after the finish). An `alwaysRunning` campaign never
 * completes by itself: it dials but stays `on`. A paused (`off`) campaign is turned `on` first.
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
  const remaining = remainingContacts(campaign);
  if (opts.outcomes) checkOutcomes(opts.outcomes, remaining);
  const finishMs = parseInstant(opts.endAt, state.now(), 'endAt');
  resumeIfPaused(state, campaign, finishMs - (opts.durationSeconds ?? 3600) * 1000);
  dial(state, campaign, remaining, finishMs, opts);
  // Contacts left undialled by exact outcomes count as skipped in progress.
  const left = remainingContacts(campaign);
  if (left > 0) campaign.skipped.UNCALLABLE = (campaign.skipped.UNCALLABLE ?? 0) + left;
  if (!campaign.alwaysRunning) change(state, campaign, 'complete', finishMs, 'complete');
  return campaign;
}

/**
 * Stops a campaign: a share of the remaining contacts were dialled, the last at `endAt`; then
 * `on` -> `stopping` at `endAt` -> `off` `stoppingMs` later (or `forced_stopping` ->
 * `forced_off`), each change a published copy. The two-step stop and its timing are assumed
 * (the statuses themselves are verified). A stop is a pause: starting again resumes.
 * On a `stopping` campaign (after `stayStopping`), finishes the stop without dialling.
 */
export function stopCampaign(state: SimState, id: string, opts: StopOptions = {}): SimCampaign {
  const campaign = state.getCampaign(id);
  const status = campaign.campaignStatus;
  if (status === 'stopping' || status === 'forced_stopping') {
    const at = parseInstant(opts.endAt, Math.max(state.now(), campaign.dateModified), 'endAt');
    const forced = status === 'forced_stopping' || opts.forced === true;
    change(state, campaign, forced ? 'forced_off' : 'off', at, 'stop');
    return campaign;
  }
  if (status !== 'on') throw new SimError(409, `campaign ${id} is ${status}, not on`);
  checkRunOptions(opts);
  const fraction = opts.fraction ?? 0.4;
  if (!isRate(fraction)) throw new SimError(400, 'fraction must be in 0..1');
  const stoppingMs = opts.stoppingMs ?? 1000;
  if (!isInt(stoppingMs, 0)) throw new SimError(400, 'stoppingMs must be an integer >= 0');
  const finishMs = parseInstant(opts.endAt, state.now(), 'endAt');
  dial(state, campaign, Math.floor(remainingContacts(campaign) * fraction), finishMs, opts);
  change(state, campaign, opts.forced ? 'forced_stopping' : 'stopping', finishMs, 'stopping');
  if (!opts.stayStopping)
    change(state, campaign, opts.forced ? 'forced_off' : 'off', finishMs + stoppingMs, 'stop');
  return campaign;
}

/**
 * Starts a campaign. A stopped one resumes where it was (progress carries over, contacts already
 * called are not called again); a complete one restarts from the first record (progress resets).
 * Verified (help pages "start or pause a campaign", "recycle a campaign"): a manual stop is a
 * pause that resumes at the next record; a completed campaign turned on again dials from the
 * first record.
 */
export function startCampaign(state: SimState, id: string, opts: StartOptions = {}): SimCampaign {
  const campaign = state.getCampaign(id);
  const status = campaign.campaignStatus;
  if (status === 'on') return campaign;
  if (status === 'stopping' || status === 'forced_stopping')
    throw new SimError(409, `campaign ${id} is ${status}: finish the stop first`);
  if (status === 'complete') {
    campaign.called = 0;
    campaign.skipped = {};
    campaign.cycle += 1;
  }
  change(state, campaign, 'on', parseInstant(opts.at, state.now(), 'at'), 'start');
  return campaign;
}

/**
 * Edits a campaign (e.g. renames it): `version` + 1 and a new `dateModified`, status kept, and a
 * new copy published, so a `complete` campaign's copy is sent again. Assumed: the platform
 * publishes a copy on every change to the campaign, not only on status changes.
 */
export function editCampaign(state: SimState, id: string, opts: EditOptions = {}): SimCampaign {
  const campaign = state.getCampaign(id);
  if (opts.name !== undefined) {
    if (typeof opts.name !== 'string' || opts.name.trim() === '')
      throw new SimError(400, 'name must be a non-empty string');
    campaign.name = opts.name;
  }
  const at = parseInstant(opts.at, Math.max(state.now(), campaign.dateModified), 'at');
  change(state, campaign, campaign.campaignStatus, at, 'edit');
  return campaign;
}

/** The published copies of a campaign, oldest first. */
export function campaignCopies(state: SimState, id: string): CampaignCopy[] {
  return state.getCampaign(id).copies;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The true totals of a campaign's dials whose dial start lies in `range` (all dials without one).
 * Each dial's metrics count here whatever their own times: this is the truth per segment, not
 * what one aggregates interval shows.
 */
export function expectedTotals(state: SimState, id: string, range: TimeRange = {}): ExpectedTotals {
  const campaign = state.getCampaign(id);
  const fromMs = range.from === undefined ? -Infinity : parseInstant(range.from, 0, 'from');
  const toMs = range.to === undefined ? Infinity : parseInstant(range.to, 0, 'to');
  const all = state.conversations.get(id) ?? [];
  const list: SimConversation[] = all.filter((c) => c.startMs >= fromMs && c.startMs < toMs);
  const { analyticsLagMs, analyticsLagJitterMs } = state.settings;
  let contactsCalled = 0;
  let connected = 0;
  let abandoned = 0;
  let handled = 0;
  let handleSumMs = 0;
  const talk = { count: 0, sumMs: 0 };
  const hold = { count: 0, sumMs: 0 };
  const acw = { count: 0, sumMs: 0 };
  const wrapUpCodes: Record<string, number> = {};
  let firstStart = Infinity;
  let lastDial = -Infinity;
  let lastEnd = -Infinity;
  let visibleAt = -Infinity;
  for (const c of list) {
    if (c.attempt === 1) contactsCalled++;
    if (c.connected) connected++;
    if (c.abandoned) abandoned++;
    if (c.handleMs !== undefined) {
      handled++;
      handleSumMs += c.handleMs;
      if (c.wrapUpCode !== undefined)
        wrapUpCodes[c.wrapUpCode] = (wrapUpCodes[c.wrapUpCode] ?? 0) + 1;
    }
    if (c.talkMs !== undefined) {
      talk.count++;
      talk.sumMs += c.talkMs;
    }
    if (c.holdMs !== undefined && c.holdMs > 0) {
      hold.count++;
      hold.sumMs += c.holdMs;
    }
    if (c.acwMs !== undefined) {
      acw.count++;
      acw.sumMs += c.acwMs;
    }
    firstStart = Math.min(firstStart, c.startMs);
    lastDial = Math.max(lastDial, c.startMs);
    lastEnd = Math.max(lastEnd, c.endMs);
    visibleAt = Math.max(visibleAt, c.endMs + analyticsLagMs + c.lagJitter * analyticsLagJitterMs);
  }
  const any = list.length > 0;
  return {
    campaignId: id,
    campaignStatus: campaign.campaignStatus,
    contactCount: campaign.contactCount,
    from: Number.isFinite(fromMs) ? iso(fromMs) : null,
    to: Number.isFinite(toMs) ? iso(toMs) : null,
    contactsCalled,
    attempted: list.length,
    connected,
    abandoned,
    handled,
    handleSumMs,
    avgHandleSeconds: handled === 0 ? 0 : handleSumMs / handled / 1000,
    talk,
    hold,
    acw,
    wrapUpCodes,
    firstStart: any ? iso(firstStart) : null,
    lastDial: any ? iso(lastDial) : null,
    lastEnd: any ? iso(lastEnd) : null,
    visibleAt: any ? iso(Math.ceil(visibleAt)) : null,
  };
}
