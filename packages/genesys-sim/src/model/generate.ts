import type { Random } from '../random';
import type { SimCampaign, SimConversation } from './types';

/** Exact outcomes for a run: used to reproduce known numbers (e.g. the guide's 1500 / 450 / 120 s). */
export interface ExactOutcomes {
  attempted: number;
  connected: number;
  /** Average tHandle in ms over handled conversations (integer). */
  avgHandleMs: number;
  /** Connected calls dropped for want of an agent (default 0); they have no tHandle. */
  abandoned?: number;
}

export interface GenerateInput {
  campaign: SimCampaign;
  /** Contacts to dial in this run (ignored when `exact` is set). */
  count: number;
  /** The last conversation ends here (epoch ms). */
  endAtMs: number;
  /** Conversations' ends are spread over this span before `endAtMs`. */
  durationMs: number;
  connectRate: number;
  abandonRate: number;
  avgHandleMs: number;
  exact: ExactOutcomes | undefined;
  rng: Random;
}

const WRAP_UP_CODES = ['Sale', 'Callback Requested', 'Not Interested', 'Information Given'];

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

function randomHandleTime(avg: number, rng: Random): number {
  return Math.max(4000, Math.round(avg * (0.35 + 1.3 * rng.next())));
}

/** Generates one run of finished conversations for a campaign, ordered by end time. */
export function generateConversations(input: GenerateInput): SimConversation[] {
  const { campaign, rng, exact } = input;
  const n = exact ? exact.attempted : input.count;
  if (n <= 0) return [];

  let connectedFlags: boolean[];
  let abandonedFlags: boolean[];
  let handleTimes: number[];
  if (exact) {
    connectedFlags = pickExactly(n, exact.connected, rng);
    const connectedIdx = connectedFlags.flatMap((c, i) => (c ? [i] : []));
    const abandonedPick = pickExactly(connectedIdx.length, exact.abandoned ?? 0, rng);
    abandonedFlags = new Array<boolean>(n).fill(false);
    connectedIdx.forEach((idx, k) => {
      if (abandonedPick[k]) abandonedFlags[idx] = true;
    });
    const handled = exact.connected - (exact.abandoned ?? 0);
    handleTimes = exactHandleTimes(handled, exact.avgHandleMs, rng);
  } else {
    connectedFlags = Array.from({ length: n }, () => rng.next() < input.connectRate);
    abandonedFlags = connectedFlags.map((c) => c && rng.next() < input.abandonRate);
    handleTimes = [];
  }

  const slot = input.durationMs / n;
  const windowStart = input.endAtMs - input.durationMs;
  const conversations: SimConversation[] = [];
  let handledIndex = 0;
  for (let i = 0; i < n; i++) {
    const connected = connectedFlags[i] === true;
    const abandoned = abandonedFlags[i] === true;
    const handled = connected && !abandoned;
    const contactingMs = connected ? rng.int(4000, 20000) : rng.int(15000, 30000);
    let answeredMs: number | undefined;
    let talkMs: number | undefined;
    let acwMs: number | undefined;
    let handleMs: number | undefined;
    if (handled) {
      const handle = exact
        ? (handleTimes[handledIndex++] ?? input.avgHandleMs)
        : randomHandleTime(input.avgHandleMs, rng);
      handleMs = handle;
      acwMs = Math.round(handle * (0.1 + 0.15 * rng.next()));
      talkMs = handle - acwMs;
      answeredMs = rng.int(1000, 5000);
    }
    const lengthMs =
      contactingMs +
      (handled ? (answeredMs ?? 0) + (handleMs ?? 0) : abandoned ? rng.int(2000, 5000) : 0);
    const isLast = i === n - 1;
    const endMs = isLast
      ? input.endAtMs
      : Math.round(windowStart + slot * (i + 1) - slot * 0.9 * rng.next());
    const agent = handled ? campaign.agentIds[rng.int(0, campaign.agentIds.length - 1)] : undefined;
    conversations.push({
      conversationId: rng.uuid(),
      campaignId: campaign.id,
      contactListId: campaign.contactList.id,
      contactId: rng.uuid(),
      queueId: campaign.queue.id,
      userId: agent,
      mediaType: 'voice',
      direction: 'outbound',
      wrapUpCode: handled ? WRAP_UP_CODES[rng.int(0, WRAP_UP_CODES.length - 1)] : undefined,
      startMs: endMs - lengthMs,
      endMs,
      connected,
      abandoned,
      contactingMs,
      answeredMs,
      talkMs,
      acwMs,
      handleMs,
    });
  }
  return conversations.sort((a, b) => a.endMs - b.endMs);
}
