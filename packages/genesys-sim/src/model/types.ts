import { CAMPAIGN_STATUSES } from '@wrapup/shared';

export { CAMPAIGN_STATUSES };
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const DIALING_MODES = [
  'agentless',
  'preview',
  'power',
  'predictive',
  'progressive',
  'external',
] as const;
export type DialingMode = (typeof DIALING_MODES)[number];

export interface NamedRef {
  id: string;
  name: string;
}

/** Why a campaign copy was published on `v2.outbound.campaigns.{id}`. */
export type CopyReason = 'create' | 'start' | 'stopping' | 'stop' | 'complete' | 'edit';

/**
 * One copy of the campaign as the platform published it on its notification topic (verified: a
 * change arrives as a new copy of the campaign, see genesys-cloud-facts.md). Which changes the
 * platform publishes is assumed: every status change and every edit.
 */
export interface CampaignCopy {
  reason: CopyReason;
  version: number;
  campaignStatus: CampaignStatus;
  /** When the change happened (epoch ms); also the copy's `dateModified` unless omitted. */
  atMs: number;
  /** The body as published; optional fields may be left out (settings `omitOptionalFields`, `omitVersion`). */
  body: Record<string, unknown>;
}

/** One outbound campaign as the simulator keeps it. */
export interface SimCampaign {
  id: string;
  name: string;
  campaignStatus: CampaignStatus;
  dialingMode: DialingMode;
  contactList: NamedRef;
  queue: NamedRef;
  division: NamedRef;
  alwaysRunning: boolean;
  /** Its `abandonRate` target, a percentage (absent: 5). */
  abandonTarget?: number;
  version: number;
  dateCreated: number;
  dateModified: number;
  /** Contacts in the contact list. */
  contactCount: number;
  /** Contacts dialled at least once in the current pass over the list (progress `numberOfContactsCalled`). */
  called: number;
  /** Contacts left undialled by reason (progress `numberOfContactsSkipped`). */
  skipped: Record<string, number>;
  /** Agents working this campaign. */
  agentIds: string[];
  /** How many dialling runs happened (feeds the per-run seed). */
  runs: number;
  /** Passes over the contact list: 1 at creation, +1 each time a complete campaign is started again. */
  cycle: number;
  /** Every copy published so far, oldest first. */
  copies: CampaignCopy[];
}

/**
 * One outbound conversation: one dial (attempt) to one contact. Each metric has its own time
 * (see analytics/catalog.ts): the dial start, the connect, the end of talk, the end of ACW.
 */
export interface SimConversation {
  conversationId: string;
  campaignId: string;
  contactListId: string;
  contactId: string;
  queueId: string;
  /** Agent who handled it; undefined when nobody did. */
  userId: string | undefined;
  mediaType: 'voice';
  direction: 'outbound';
  wrapUpCode: string | undefined;
  /** 1 for a contact's first dial in a pass over the list, 2.. for recalls. */
  attempt: number;
  /** The pass over the contact list (campaign `cycle`) this dial belongs to. */
  cycle: number;
  /** Dial start (nOutbound, nOutboundAttempted). */
  startMs: number;
  /** End of dialling: the connect, or the give-up of an unanswered dial (nOutboundConnected, tContacting). */
  contactedMs: number;
  /** An agent answered (tAnswered, nConnected); handled calls only. */
  answeredAtMs: number | undefined;
  /** End of talk and hold (tTalk, tTalkComplete, tHeld); handled calls only. */
  talkEndMs: number | undefined;
  /** End of the conversation: end of ACW (tAcw, tHandle), the abandoned call's hang-up, or the give-up. */
  endMs: number;
  connected: boolean;
  abandoned: boolean;
  /** Dialling time until answer or give-up (tContacting). */
  contactingMs: number;
  /** Agent alert time until answer (tAnswered), handled calls only. */
  answeredMs: number | undefined;
  talkMs: number | undefined;
  /** Hold time (tHeld); 0 when the call was never held; handled calls only. */
  holdMs: number | undefined;
  acwMs: number | undefined;
  /** talk + hold + acw, handled calls only. */
  handleMs: number | undefined;
  /** 0..1: share of the `analyticsLagJitterMs` setting this conversation's metrics trail by. */
  lagJitter: number;
}

/** A sum and count of one timer, in ms. */
export interface TimerTotal {
  count: number;
  sumMs: number;
}

/** The true totals of a campaign (or of the dials inside a time range), for tests. */
export interface ExpectedTotals {
  campaignId: string;
  campaignStatus: CampaignStatus;
  contactCount: number;
  /** The dial-time range covered (ISO UTC, start inclusive, end exclusive); null for an open end. */
  from: string | null;
  to: string | null;
  /** Contacts dialled (first dials of a pass over the list) in the range; recalls excluded. */
  contactsCalled: number;
  /** Dials (nOutboundAttempted): first dials and recalls. */
  attempted: number;
  connected: number;
  abandoned: number;
  /** Conversations with an agent (tHandle count). */
  handled: number;
  handleSumMs: number;
  avgHandleSeconds: number;
  talk: TimerTotal;
  /** tHeld: only calls that were held count. */
  hold: TimerTotal;
  acw: TimerTotal;
  /** Handled conversations per wrap-up code. */
  wrapUpCodes: Record<string, number>;
  /** ISO UTC of the earliest dial, null without dials. */
  firstStart: string | null;
  /** ISO UTC of the last dial, null without dials. */
  lastDial: string | null;
  /** ISO UTC of the latest conversation end (the last tHandle/tAcw), null without dials. */
  lastEnd: string | null;
  /** When every metric of these dials is visible in aggregates with the current lag and jitter. */
  visibleAt: string | null;
}
