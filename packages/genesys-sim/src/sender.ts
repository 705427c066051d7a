import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { buildFinishEvent, type FinishedCampaign, type SenderShape } from './events';

export type { FinishedCampaign, SenderShape } from './events';
export { buildFinishEvent, GUIDE_STATUSES } from './events';

export interface SenderAuth {
  /** Standard Webhooks secret `whsec_...` (the first of a space-separated list is used). */
  secret?: string;
  /** API key, sent as `x-api-key` (default) or `Authorization: Bearer`. */
  apiKey?: string;
  apiKeyHeader?: 'x-api-key' | 'bearer';
}

/** How an event is delivered (shape, auth, duplicates, retries, ids, timeout), whatever it carries. */
export interface DeliveryOptions {
  shape: SenderShape;
  auth?: SenderAuth;
  /** Extra deliveries of the same event (same id, same body); default 0. */
  duplicates?: number;
  /** Retries per delivery on 5xx, 429 or a network error; default 3. */
  retries?: number;
  /** First backoff; doubles per retry (default 200 ms). */
  retryDelayMs?: number;
  /** Event id (webhook-id, EventBridge id); default a random UUID. */
  eventId?: string;
  orgId?: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

export interface DeliverFinishOptions extends DeliveryOptions {
  webhookUrl: string;
  campaign: FinishedCampaign;
}

export interface DeliveryAnswer {
  /** 0 for the first delivery, 1.. for duplicates. */
  delivery: number;
  /** 0 for the first try, 1.. for retries. */
  attempt: number;
  /** HTTP status, or null on a network error. */
  status: number | null;
  body: unknown;
  error?: string;
}

export interface DeliveryResult {
  eventId: string;
  shape: SenderShape;
  /** The JSON body sent (identical for every delivery). */
  body: Record<string, unknown>;
  /** Every try, in order. */
  answers: DeliveryAnswer[];
  /** The last answer of each delivery. */
  finals: DeliveryAnswer[];
}

const retryable = (status: number | null): boolean =>
  status === null || status === 429 || status >= 500;

function authHeaders(
  auth: SenderAuth | undefined,
  eventId: string,
  payload: string,
): Record<string, string> {
  const headers: Record<string, string> = {};
  const secret = auth?.secret?.trim().split(/\s+/)[0];
  if (secret) {
    const now = new Date();
    headers['webhook-id'] = eventId;
    headers['webhook-timestamp'] = String(Math.floor(now.getTime() / 1000));
    headers['webhook-signature'] = new Webhook(secret).sign(eventId, now, payload);
  }
  if (auth?.apiKey) {
    if (auth.apiKeyHeader === 'bearer') headers.authorization = `Bearer ${auth.apiKey}`;
    else headers['x-api-key'] = auth.apiKey;
  }
  return headers;
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** One POST of a JSON payload; a network error or timeout is an answer with status null. */
export async function postWebhook(
  url: string,
  payload: string,
  headers: Record<string, string>,
  timeoutMs = 10_000,
): Promise<{ status: number | null; body: unknown; error?: string }> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: payload,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: await readBody(res) };
  } catch (err) {
    return { status: null, body: null, error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Delivers a campaign-finished event to a webhook as a typical relay would: signed or keyed,
 * retried on 5xx / 429 / network errors, optionally duplicated. The retry policy is assumed, not
 * EventBridge's own (API destinations retry on their own schedule, not modelled here).
 */
export async function deliverFinish(opts: DeliverFinishOptions): Promise<DeliveryResult> {
  const eventId = opts.eventId ?? randomUUID();
  const body = buildFinishEvent(opts.campaign, opts.shape, {
    eventId,
    ...(opts.orgId ? { orgId: opts.orgId } : {}),
  });
  const payload = JSON.stringify(body);
  const retries = opts.retries ?? 3;
  const answers: DeliveryAnswer[] = [];
  const finals: DeliveryAnswer[] = [];

  for (let delivery = 0; delivery <= (opts.duplicates ?? 0); delivery++) {
    for (let attempt = 0; ; attempt++) {
      const answer: DeliveryAnswer = {
        delivery,
        attempt,
        ...(await postWebhook(
          opts.webhookUrl,
          payload,
          authHeaders(opts.auth, eventId, payload),
          opts.timeoutMs,
        )),
      };
      answers.push(answer);
      if (!retryable(answer.status) || attempt >= retries) {
        finals.push(answer);
        break;
      }
      await sleep((opts.retryDelayMs ?? 200) * 2 ** attempt);
    }
  }
  return { eventId, shape: opts.shape, body, answers, finals };
}
