import { postWebhook } from '@wrapup/genesys-sim';

/**
 * Delivers one webhook as Genesys or EventBridge would: a 503, 429 or network error means "try
 * again later", retried with capped backoff until any other answer. Every answer is recorded.
 */
export interface SendAnswer {
  at: number;
  /** HTTP status, or null for a network error / timeout. */
  status: number | null;
  body: unknown;
  error?: string;
}

export interface SendResult {
  answers: SendAnswer[];
  /** The answer that ended the retries. */
  final: SendAnswer;
}

export interface SendOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** First backoff, doubled per retry up to maxDelayMs (default 250 / 2000). */
  retryDelayMs?: number;
  maxDelayMs?: number;
  /** Give up after this long (default 120 s); the last answer is then final. */
  deadlineMs?: number;
  timeoutMs?: number;
}

const retryLater = (status: number | null) => status === null || status === 429 || status === 503;

export async function sendUntilAnswered(opts: SendOptions): Promise<SendResult> {
  const answers: SendAnswer[] = [];
  const giveUpAt = Date.now() + (opts.deadlineMs ?? 120_000);
  let delay = opts.retryDelayMs ?? 250;
  for (;;) {
    const answer: SendAnswer = {
      ...(await postWebhook(opts.url, opts.body, opts.headers, opts.timeoutMs)),
      at: Date.now(),
    };
    answers.push(answer);
    if (!retryLater(answer.status) || Date.now() > giveUpAt) return { answers, final: answer };
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, opts.maxDelayMs ?? 2_000);
  }
}

/** Runs `task` for every item with at most `limit` in flight, each not before its `startAt`. */
export async function paced<T, R>(
  items: readonly T[],
  limit: number,
  startAt: (item: T, index: number) => number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      const item = items[i] as T;
      const wait = startAt(item, i) - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      results[i] = await task(item, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
