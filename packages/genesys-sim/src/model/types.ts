export const CAMPAIGN_STATUSES = [
  'on',
  'stopping',
  'off',
  'complete',
  'invalid',
  'forced_off',
  'forced_stopping',
] as const;
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
  version: number;
  dateCreated: number;
  dateModified: number;
  /** Contacts in the contact list. */
  contactCount: number;
  /** Contacts dialled so far (each gets one attempt). */
  called: number;
  /** Contacts left undialled by reason (progress `numberOfContactsSkipped`). */
  skipped: Record<string, number>;
  /** Agents working this campaign. */
  agentIds: string[];
  /** How many complete/stop runs happened (feeds the per-run seed). */
  runs: number;
}

/** One finished outbound conversation (one attempt to one contact). */
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
  startMs: number;
  endMs: number;
  connected: boolean;
  abandoned: boolean;
  /** Dialling time until answer or give-up (tContacting). */
  contactingMs: number;
  /** Agent alert time until answer (tAnswered), handled calls only. */
  answeredMs: number | undefined;
  talkMs: number | undefined;
  acwMs: number | undefined;
  /** talk + acw, handled calls only. */
  handleMs: number | undefined;
}

/** The true totals of a campaign, for tests. */
export interface ExpectedTotals {
  campaignId: string;
  campaignStatus: CampaignStatus;
  contactCount: number;
  attempted: number;
  connected: number;
  abandoned: number;
  /** Conversations with an agent (tHandle count). */
  handled: number;
  handleSumMs: number;
  avgHandleSeconds: number;
  /** ISO UTC of the earliest conversation start, null before any call. */
  firstStart: string | null;
  /** ISO UTC of the latest conversation end, null before any call. */
  lastEnd: string | null;
  /** When the last conversation becomes visible in aggregates with the current lag. */
  visibleAt: string | null;
}
