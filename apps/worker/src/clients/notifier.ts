import type { Notification } from '@wrapup/shared';
import { http } from './http-client';
import { safeTarget } from './warehouse-http';

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

/** Slack-compatible incoming webhooks and any JSON receiver. No got retries: the notify queue retries. */
export function createNotifier(opts: { timeoutMs?: number } = {}): Notifier {
  const timeout = { request: opts.timeoutMs ?? 10_000 };
  return {
    async send(url, notification, idempotencyKey) {
      const response = await http.post(url, {
        json: notification,
        ...(idempotencyKey !== undefined && { headers: { 'idempotency-key': idempotencyKey } }),
        timeout,
      });
      if (response.statusCode < 200 || response.statusCode >= 300) {
        throw new NotifyError(safeTarget(url), response.statusCode);
      }
    },
  };
}
