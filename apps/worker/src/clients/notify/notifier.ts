import type { Notification } from '@wrapup/shared';
import { notificationBody } from '../../notifications';
import { http, safeTarget } from '../http-client';

export interface Notifier {
  /**
   * POSTs the notification as JSON; resolves on 2xx, throws (with the status) otherwise.
   * `idempotencyKey` goes out as `Idempotency-Key` so a receiver can drop a repeat.
   */
  send(url: string, notification: Notification, idempotencyKey?: string): Promise<void>;
}

export class NotifyError extends Error {
  constructor(
    readonly target: string,
    readonly statusCode: number,
  ) {
    super(`notifier ${target} answered ${statusCode}`);
    this.name = 'NotifyError';
  }
}

/**
 * The request did not get an answer (refused, timed out, ...). Its message names the origin only:
 * it becomes the job's failedReason, shown in Bull Board, and a webhook URL embeds its token.
 */
export class NotifyRequestError extends Error {
  constructor(
    readonly target: string,
    reason: string,
  ) {
    super(`notifier ${target} failed: ${reason}`);
    this.name = 'NotifyRequestError';
  }
}

/** The error's message with the URL (and its path and query) cut out. */
function withoutUrl(err: unknown, url: string): string {
  let message = err instanceof Error ? err.message : String(err);
  const secrets = [url];
  try {
    const { pathname, search } = new URL(url);
    if (pathname.length > 1 || search !== '') secrets.push(pathname + search);
  } catch {
    // not a URL: only the whole string can leak
  }
  for (const secret of secrets) message = message.split(secret).join('<notify url>');
  return message;
}

export interface NotifierOptions {
  timeoutMs?: number;
  /**
   * PUBLIC_URL: each notification's text ends with a link to its report page and carries it as
   * `reportUrl`; Slack incoming webhooks also get blocks (see notificationBody).
   */
  publicUrl?: string | undefined;
}

/** Slack-compatible incoming webhooks and any JSON receiver. No got retries: the notify queue retries. */
export function createNotifier(opts: NotifierOptions = {}): Notifier {
  const timeout = { request: opts.timeoutMs ?? 10_000 };
  return {
    async send(url, notification, idempotencyKey) {
      const target = safeTarget(url);
      const response = await http
        .post(url, {
          json: notificationBody(notification, url, opts.publicUrl),
          ...(idempotencyKey !== undefined && { headers: { 'idempotency-key': idempotencyKey } }),
          timeout,
        })
        .catch((err: unknown) => {
          throw new NotifyRequestError(target, withoutUrl(err, url));
        });
      if (response.statusCode < 200 || response.statusCode >= 300) {
        throw new NotifyError(target, response.statusCode);
      }
    },
  };
}
