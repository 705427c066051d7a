import { createRandom, hashString, type Random } from '../random';
import type { SimCampaign, SimConversation } from './types';

/** Exact outcomes for a run: used to reproduce known numbers (e.g. the guide's 1500 / 450 / 120 s). */
export interface ExactOutcomes {
  /** Dials, one per contact (no recalls in exact mode). */
  attempted: number;
  connected: number;
  /** Average tHandle in ms over handled conversations (integer). */
  avgHandleMs: number;
  /** Connected calls dropped for want of an agent (default 0); they have no tHandle. */
  abandoned?: number;
}

export interface GenerateInput {
  campaign: SimCampaign;
  /** Index in the contact list of the first contact this run dials. */
  firstContact: number;
  /** Contacts to dial in this run (ignored when `exact` is set). */
  contacts: number;
  /** The last dial is placed here (epoch ms): the moment the campaign finishes or stops. */
  finishMs: number;
  /** Dials are spread over this span before `finishMs`. */
  durationMs: number;
  connectRate: number;
  abandonRate: number;
  avgHandleMs: number;
  /** Dials per contact at most (first dial included); 1 turns recalls off. */
  maxAttemptsPerContact: number;
  /** Chance that an unanswered dial is dialled again (while attempts are left). */
  recallRate: number;
  exact: ExactOutcomes | undefined;
  rng: Random;
}

const WRAP_UP_CODES = ['Sale', 'Callback Requested', 'Not Interested', 'Information Given'];

/** Ring, alert and hang-up times are realistic at a 120 s average handle and shrink with it. */
const REFERENCE_HANDLE_MS = 120_000;
/** A recall is wanted this share of the run after the contact's previous dial. */
const RECALL_SPACING = 0.2;

/** Picks which of `n` positions get a flag, exactly `k` of them, in a seeded order. */
function pickExactly(n: number, k: number, rng: Random): boolean[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const a = order[i] as number;
    order[i] = order[j] as number;
    order[j] = a;
  }
  const flags = new Array<boolean>(n).fill(false);
  for (let i = 0; i < k; i++) flags[order[i] as number] = true;
  return flags;
}

/** Handle times whose sum is exactly avg * n: pairs mirror around the average. */
function exactHandleTimes(n: number, avg: number, rng: Random): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < n; i += 2) {
    const a = Math.round(avg * (0.4 + 0.6 * rng.next()));
    out.push(a, 2 * avg - a);
  }
  if (n % 2 === 1) out.push(avg);
  return out;
}

/** The contact id at a position of the campaign's contact list (the same on every dial and pass). */
export function contactIdAt(campaign: SimCampaign, index: number): string {
  return createRandom(hashString(`contact:${campaign.contactList.id}:${index}`)).uuid();
}

/** One planned dial before it gets a time. */
interface Dial {
  contact: number;
  attempt: number;
  connected: boolean;
  abandoned: boolean;
  /** Wanted position in the run; dials get their slots in this order. */
  key: number;
}

function planDials(input: GenerateInput): Dial[] {
  const { rng, exact } = input;
  const dials: Dial[] = [];
  if (exact) {
    const n = exact.attempted;
    const connected = pickExactly(n, exact.connected, rng);
    const connectedIdx = connected.flatMap((c, i) => (c ? [i] : []));
    const abandonedPick = pickExactly(connectedIdx.length, exact.abandoned ?? 0, rng);
    const abandoned = new Array<boolean>(n).fill(false);
    connectedIdx.forEach((idx, k) => {
      if (abandonedPick[k]) abandoned[idx] = true;
    });
    for (let i = 0; i < n; i++)
      dials.push({
        contact: i,
        attempt: 1,
        connected: connected[i] === true,
        abandoned: abandoned[i] === true,
        key: i / n,
      });
    return dials;
  }
  const n = input.contacts;
  for (let i = 0; i < n; i++) {
    for (let attempt = 1; ; attempt++) {
      const connected = rng.next() < input.connectRate;
      const abandoned = connected && rng.next() < input.abandonRate;
      dials.push({
        contact: i,
        attempt,
        connected,
        abandoned,
        key: i / n + (attempt - 1) * RECALL_SPACING,
      });
      // Assumed: only an unanswered dial is recalled (an abandoned call reached the contact).
      if (connected || attempt >= input.maxAttemptsPerContact || rng.next() >= input.recallRate)
        break;
    }
  }
  return dials.sort((a, b) => a.key - b.key || a.contact - b.contact || a.attempt - b.attempt);
}

/**
 * Generates one dialling run, ordered by dial start. Dials are spread over
 * [finishMs - durationMs, finishMs]; the last dial is placed exactly at `finishMs`. Calls still in
 * progress then go on: their connect, talk, hold and after-call work end after `finishMs`.
 * A recall is placed only after the contact's previous dial ended and never after `finishMs`
 * (a recall that no longer fits is not made).
 */
export function generateConversations(input: GenerateInput): SimConversation[] {
  const { campaign, rng, exact } = input;
  const dials = planDials(input);
  const m = dials.length;
  if (m === 0) return [];

  const handledCount = dials.filter((d) => d.connected && !d.abandoned).length;
  const exactHandles = exact ? exactHandleTimes(handledCount, exact.avgHandleMs, rng) : [];
  const scale = Math.min(1, input.avgHandleMs / REFERENCE_HANDLE_MS);
  const span = (lo: number, hi: number): number => Math.max(1, Math.round(rng.int(lo, hi) * scale));
  const slot = input.durationMs / m;
  const windowStart = input.finishMs - input.durationMs;
  const recallGapMs = Math.max(1, Math.round(5000 * scale));
  const previousEnd = new Map<number, number>();
  const out: SimConversation[] = [];
  let handledIndex = 0;

  dials.forEach((d, j) => {
    const slotMs =
      j === m - 1
        ? input.finishMs
        : Math.round(windowStart + slot * (j + 1) - slot * 0.9 * rng.next());
    const handled = d.connected && !d.abandoned;
    const contactingMs = d.connected ? span(4000, 20000) : span(15000, 30000);
    let answeredMs: number | undefined;
    let talkMs: number | undefined;
    let holdMs: number | undefined;
    let acwMs: number | undefined;
    let handleMs: number | undefined;
    if (handled) {
      const handle = exact
        ? (exactHandles[handledIndex++] ?? input.avgHandleMs)
        : Math.max(
            Math.round(4000 * scale),
            Math.round(input.avgHandleMs * (0.35 + 1.3 * rng.next())),
            3,
          );
      acwMs = Math.round(handle * (0.1 + 0.15 * rng.next()));
      holdMs = rng.next() < 0.35 ? Math.round(handle * (0.05 + 0.15 * rng.next())) : 0;
      talkMs = handle - acwMs - holdMs;
      handleMs = handle;
      answeredMs = span(1000, 5000);
    }
    const hangUpMs = d.abandoned ? span(2000, 5000) : 0;
    const agent = handled ? campaign.agentIds[rng.int(0, campaign.agentIds.length - 1)] : undefined;
    const wrapUpCode = handled ? WRAP_UP_CODES[rng.int(0, WRAP_UP_CODES.length - 1)] : undefined;
    const conversationId = rng.uuid();
    const lagJitter = rng.next();

    let startMs = slotMs;
    if (d.attempt > 1) {
      const prev = previousEnd.get(d.contact);
      if (prev === undefined) return; // the previous dial of this contact was not made
      startMs = Math.max(startMs, prev + recallGapMs);
      if (startMs > input.finishMs) return;
    }
    const contactedMs = startMs + contactingMs;
    const answeredAtMs = handled ? contactedMs + (answeredMs ?? 0) : undefined;
    const talkEndMs =
      answeredAtMs === undefined ? undefined : answeredAtMs + (talkMs ?? 0) + (holdMs ?? 0);
    const endMs = talkEndMs !== undefined ? talkEndMs + (acwMs ?? 0) : contactedMs + hangUpMs;
    previousEnd.set(d.contact, endMs);
    out.push({
      conversationId,
      campaignId: campaign.id,
      contactListId: campaign.contactList.id,
      contactId: contactIdAt(campaign, input.firstContact + d.contact),
      queueId: campaign.queue.id,
      userId: agent,
      mediaType: 'voice',
      direction: 'outbound',
      wrapUpCode,
      attempt: d.attempt,
      cycle: campaign.cycle,
      startMs,
      contactedMs,
      answeredAtMs,
      talkEndMs,
      endMs,
      connected: d.connected,
      abandoned: d.abandoned,
      contactingMs,
      answeredMs,
      talkMs,
      holdMs,
      acwMs,
      handleMs,
      lagJitter,
    });
  });

  // The campaign finishes with its last dial: when a dropped recall held the last slot, the latest
  // dial made moves there (later is always safe: no dial of that contact follows it).
  let last = out[0] as SimConversation;
  for (const c of out) if (c.startMs > last.startMs) last = c;
  const shift = input.finishMs - last.startMs;
  if (shift > 0) shiftConversation(last, shift);
  return out.sort((a, b) => a.startMs - b.startMs);
}

function shiftConversation(c: SimConversation, ms: number): void {
  c.startMs += ms;
  c.contactedMs += ms;
  if (c.answeredAtMs !== undefined) c.answeredAtMs += ms;
  if (c.talkEndMs !== undefined) c.talkEndMs += ms;
  c.endMs += ms;
}
