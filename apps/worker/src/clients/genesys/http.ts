import {
  RequestError,
  type Got,
  type Options,
  type OptionsOfTextResponseBody,
  type Response,
} from 'got';
import type { Logger } from 'pino';
import * as v from 'valibot';
import type { RateLimiter } from '../../limiter';
import { GenesysError, GenesysNotFound } from './errors';
import { parseRetryAfter, retryDelay, RETRY_STATUSES } from './retry';
import { ErrorBodySchema } from './schemas';
import { http } from '../http-client';

export type GenesysLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface GenesysHttpOptions {
  /** Shared across processes; every attempt, the token request included, acquires a slot first. */
  limiter?: RateLimiter | undefined;
  /**
   * Aborted when the process shuts down: an attempt still waiting for a limiter slot then ends at
   * once with a GenesysError of code SHUTDOWN_CODE (never retried here); one already sent finishes.
   */
  signal?: AbortSignal | undefined;
  logger: GenesysLogger;
  /** Timeout of each HTTP exchange. */
  timeoutMs: number;
  /** Bound on one call including its retries and rate-limit waits (default 180000). */
  maxRetryTimeMs?: number;
  /** Wait when a 429/502/503/504 has no Retry-After (default 3000). */
  defaultRetryAfterMs?: number;
  /** Give up when Retry-After asks for more (default 180000). */
  maxRetryAfterMs?: number;
  /** First backoff after a network error or timeout (default 500, doubled each time). */
  retryBaseMs?: number;
}

/*
 * got's `context` of one call carries its label (`what`, set by `send`) and, from the first
 * attempt on, when its time budget ends (`deadline`, set by beforeRequest). got types `context` as a
 * plain record and keeps the same object across the call's attempts, so the deadline is written on
 * it in place and both fields are read back through these checks.
 */
const whatOf = (options: Pick<Options, 'context'>): string =>
  typeof options.context.what === 'string' ? options.context.what : 'genesys call';
const deadlineOf = (options: Pick<Options, 'context'>): number =>
  typeof options.context.deadline === 'number' ? options.context.deadline : Date.now();

/** The code of the GenesysError for an attempt the shutdown signal stopped before it was sent. */
export const SHUTDOWN_CODE = 'shutdown';

export const correlationIdOf = (res: Response) => {
  const header = res.headers['inin-correlation-id'];
  return Array.isArray(header) ? header[0] : header;
};

/**
 * got for Genesys Cloud. got retries 429/502/503/504 and network errors and timeouts (POST too: the
 * token request and the read-only aggregates query may be repeated) as `retryDelay` says, within
 * the call's time budget; every attempt first takes a slot of the shared limiter; a 429 pauses
 * every process sharing it.
 */
export function createGenesysHttp(opts: GenesysHttpOptions): Got {
  const { limiter, logger: log } = opts;
  const maxRetryTimeMs = opts.maxRetryTimeMs ?? 180_000;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 180_000;
  const timing = {
    defaultRetryAfterMs: opts.defaultRetryAfterMs ?? 3000,
    retryBaseMs: opts.retryBaseMs ?? 500,
  };
  return http.extend({
    timeout: { request: opts.timeoutMs },
    retry: {
      limit: Number.POSITIVE_INFINITY, // the time budget bounds the attempts
      methods: ['GET', 'POST'],
      statusCodes: RETRY_STATUSES,
      // errorCodes: got's defaults (ETIMEDOUT, ECONNRESET, ECONNREFUSED, EPIPE, ENOTFOUND, ...)
      maxRetryAfter: maxRetryAfterMs,
      calculateDelay: (r) => {
        if (r.error.name === 'RetryError') return 1; // the 401 refresh asked for one more try
        if (r.error.cause instanceof GenesysError) return 0; // no limiter slot or no token: final
        const remainingMs = deadlineOf(r.error.options) - Date.now();
        return retryDelay({ ...r, answered: r.error.response !== undefined, remainingMs }, timing);
      },
    },
    hooks: {
      beforeRequest: [
        async (options, { retryCount }) => {
          if (retryCount === 0) options.context.deadline = Date.now() + maxRetryTimeMs;
          const what = whatOf(options);
          const timeoutMs = Math.max(1, deadlineOf(options) - Date.now());
          await limiter?.acquire({ signal: opts.signal, timeoutMs }).catch((err: unknown) => {
            if (opts.signal?.aborted) {
              throw new GenesysError(`${what}: not sent, shutting down`, {
                code: SHUTDOWN_CODE,
                cause: err,
              });
            }
            throw new GenesysError(`${what}: no rate-limit slot within ${maxRetryTimeMs} ms`, {
              code: 'rate_limit_wait',
              cause: err,
            });
          });
        },
      ],
      afterResponse: [
        async (res) => {
          const meta = {
            what: whatOf(res.request.options),
            status: res.statusCode,
            correlationId: correlationIdOf(res),
            attempt: res.retryCount + 1,
            durationMs: res.timings.phases.total,
          };
          log.debug(meta, 'genesys answer');
          if (res.statusCode === 429) {
            const asked = parseRetryAfter(res.headers['retry-after']);
            const retryAfterMs = asked ?? timing.defaultRetryAfterMs;
            log.info(
              { ...meta, retryAfterMs, header: asked !== undefined },
              'genesys rate limit hit, pausing',
            );
            // every process waits, not only this call (now: beforeRetry runs after got's own wait)
            await limiter?.pauseFor(Math.min(retryAfterMs, maxRetryAfterMs));
          }
          return res;
        },
      ],
      beforeRetry: [
        (error, retryCount) => {
          const status = error.response?.statusCode;
          if (error.name === 'RetryError' || status === 429) return; // logged already
          const what = whatOf(error.options);
          log.warn(
            { what, attempt: retryCount, status, code: error.code },
            'genesys call failed, retrying',
          );
        },
      ],
    },
  });
}

/**
 * One call through a client made by createGenesysHttp: the final answer, whatever its status,
 * except a 429/502/503/504 got gave up on, which throws GenesysError like a network error does.
 */
export async function send(
  client: Got,
  what: string,
  url: string,
  options: Pick<OptionsOfTextResponseBody, 'method' | 'headers' | 'form' | 'json'>,
  log: GenesysLogger,
): Promise<Response<string>> {
  let res: Response<string>;
  try {
    res = await client(url, { ...options, context: { what } });
  } catch (err) {
    if (err instanceof RequestError && err.cause instanceof GenesysError) throw err.cause;
    const code = err instanceof RequestError ? err.code : 'ERR_REQUEST';
    log.error({ what, code }, 'genesys call failed');
    throw new GenesysError(`${what} failed: ${code} (${(err as Error).message})`, {
      code,
      cause: err,
    });
  }
  if (!RETRY_STATUSES.includes(res.statusCode)) return res;
  const attempts = res.retryCount + 1;
  log.error(
    { what, status: res.statusCode, correlationId: correlationIdOf(res), attempts },
    'genesys retries exhausted',
  );
  throw errorFromResponse(what, res, `gave up after ${attempts} attempts`);
}

/** The error for a final non-2xx answer: Genesys's code and message when the body has them. */
export function errorFromResponse(
  what: string,
  res: Response<string>,
  note?: string,
): GenesysError {
  const parsed = v.safeParse(ErrorBodySchema, safeJson(res.body));
  const body = parsed.success ? parsed.output : {};
  const detail = body.message ?? res.body.slice(0, 200);
  const message = `${what} answered ${res.statusCode}${detail ? `: ${detail}` : ''}${note ? ` (${note})` : ''}`;
  const info = { code: body.code ?? `http_${res.statusCode}`, correlationId: correlationIdOf(res) };
  return res.statusCode === 404
    ? new GenesysNotFound(message, info)
    : new GenesysError(message, { ...info, status: res.statusCode });
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
