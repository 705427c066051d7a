import { RequestError } from 'got';
import type { Logger } from 'pino';
import * as v from 'valibot';
import type { RateLimiter } from '../limiter';
import { sleep } from '../limiter';
import { GenesysError, GenesysNotFound } from './genesys-errors';
import { backoffMs, parseRetryAfter, RETRY_STATUSES, withJitter } from './genesys-retry';
import { ErrorBodySchema } from './genesys-schemas';
import { http } from './http-client';

export type GenesysLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface HttpPolicy {
  limiter: RateLimiter | undefined;
  logger: GenesysLogger;
  /** Timeout of every single HTTP exchange. */
  timeoutMs: number;
  /** Bound on the whole call: waits for the limiter, attempts and retry sleeps. */
  maxRetryTimeMs: number;
  /** Wait when a retryable answer carries no Retry-After. */
  defaultRetryAfterMs: number;
  /** Give up (no retry) when Retry-After asks for longer than this. */
  maxRetryAfterMs: number;
  /** First backoff for network errors and timeouts (doubled each time). */
  retryBaseMs: number;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Network errors and timeouts are retried only for idempotent calls. */
  idempotent: boolean;
  /** Short label for logs and errors, e.g. `GET /api/v2/outbound/campaigns/{id}`. */
  what: string;
}

export interface HttpResponse {
  status: number;
  body: string;
  correlationId: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * One logical call: rate limit, send, retry 429/502/503/504 (and network errors when idempotent)
 * until it gets any other answer, which it returns as is. Throws GenesysError when it gives up.
 */
export async function sendWithRetry(req: HttpRequest, policy: HttpPolicy): Promise<HttpResponse> {
  const started = Date.now();
  const remaining = () => policy.maxRetryTimeMs - (Date.now() - started);
  const log = policy.logger;
  for (let attempt = 1; ; attempt++) {
    await acquire(req, policy, remaining());
    const sentAt = Date.now();
    let res: HttpResponse;
    try {
      const answer = await http(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        timeout: { request: policy.timeoutMs },
      });
      const header = answer.headers['inin-correlation-id'];
      res = {
        status: answer.statusCode,
        body: answer.body,
        correlationId: Array.isArray(header) ? header[0] : header,
        headers: answer.headers,
      };
    } catch (err) {
      const code = err instanceof RequestError ? err.code : 'ERR_REQUEST';
      const error = new GenesysError(`${req.what} failed: ${code} (${(err as Error).message})`, {
        code,
        retryable: true,
        cause: err,
      });
      const delay = backoffMs(attempt, policy.retryBaseMs);
      if (!req.idempotent || delay > remaining()) {
        log.error({ what: req.what, attempt, code, durationMs: Date.now() - sentAt }, 'genesys call failed');
        throw error;
      }
      log.warn({ what: req.what, attempt, code, retryInMs: Math.round(delay) }, 'genesys network error, retrying');
      await sleep(delay);
      continue;
    }

    const meta = { what: req.what, status: res.status, correlationId: res.correlationId, attempt, durationMs: Date.now() - sentAt };
    log.debug(meta, 'genesys answer');
    if (!RETRY_STATUSES.has(res.status)) return res;

    const asked = parseRetryAfter(res.headers['retry-after']);
    const waitMs = asked ?? policy.defaultRetryAfterMs;
    if (res.status === 429 && policy.limiter) {
      // every process waits, not only this call
      await policy.limiter.pauseFor(Math.min(waitMs, policy.maxRetryAfterMs));
    }
    if (waitMs > policy.maxRetryAfterMs) {
      log.error({ ...meta, retryAfterMs: waitMs }, 'genesys asks to retry later than allowed, giving up');
      throw errorFromResponse(req, res, true, `asked to retry after ${Math.round(waitMs / 1000)} s`);
    }
    const delay = withJitter(waitMs);
    if (delay > remaining()) {
      log.error({ ...meta, retryAfterMs: waitMs }, 'genesys retries exhausted');
      throw errorFromResponse(req, res, true, `gave up after ${attempt} attempts in ${Date.now() - started} ms`);
    }
    if (res.status === 429) {
      log.info({ ...meta, retryAfterMs: waitMs, header: asked !== undefined }, 'genesys rate limit hit, pausing');
    } else {
      log.warn({ ...meta, retryAfterMs: waitMs }, 'genesys unavailable, retrying');
    }
    await sleep(delay);
  }
}

async function acquire(req: HttpRequest, policy: HttpPolicy, budgetMs: number): Promise<void> {
  if (!policy.limiter) return;
  try {
    await policy.limiter.acquire({ timeoutMs: Math.max(1, budgetMs) });
  } catch (err) {
    throw new GenesysError(`${req.what}: no rate-limit slot within ${policy.maxRetryTimeMs} ms`, {
      code: 'rate_limit_wait',
      retryable: true,
      cause: err,
    });
  }
}

/** The error for a final non-2xx answer: Genesys's code and message when the body has them. */
export function errorFromResponse(req: HttpRequest, res: HttpResponse, retryable?: boolean, note?: string): GenesysError {
  const parsed = v.safeParse(ErrorBodySchema, safeJson(res.body));
  const body = parsed.success ? parsed.output : {};
  const detail = body.message ?? res.body.slice(0, 200);
  const message = `${req.what} answered ${res.status}${detail ? `: ${detail}` : ''}${note ? ` (${note})` : ''}`;
  const info = { code: body.code ?? `http_${res.status}`, correlationId: res.correlationId };
  if (res.status === 404) return new GenesysNotFound(message, info);
  return new GenesysError(message, {
    ...info,
    status: res.status,
    retryable: retryable ?? (res.status >= 500 || res.status === 408 || res.status === 429),
  });
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
