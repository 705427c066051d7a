export interface GenesysErrorInfo {
  /** HTTP status, undefined for network errors and timeouts. */
  status?: number | undefined;
  /** Genesys error code (`too.many.requests.retry.after`, `not.found`, ...) or our own (`ETIMEDOUT`, `bad_response`). */
  code?: string | undefined;
  /** `ININ-Correlation-ID` of the answer, when there was one. */
  correlationId?: string | undefined;
  /** Whether a later attempt (a BullMQ retry) may succeed; by default `retryableStatus(status)`. */
  retryable?: boolean;
  cause?: unknown;
}

/**
 * Whether a later attempt may get past a call that ended with this status, after the client's own
 * retries: yes for a network error or timeout (no status), 408, 429 and 5xx; never for another 4xx
 * (bad request, credentials refused after a fresh token, forbidden, not found).
 */
export const retryableStatus = (status: number | undefined): boolean =>
  status === undefined || status === 408 || status === 429 || status >= 500;

/** Every failure of a Genesys Cloud call. */
export class GenesysError extends Error {
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly correlationId: string | undefined;
  /** False: the job must fail now (BullMQ UnrecoverableError) instead of spending its attempts. */
  readonly retryable: boolean;

  constructor(message: string, info: GenesysErrorInfo) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.name = 'GenesysError';
    this.status = info.status;
    this.code = info.code;
    this.correlationId = info.correlationId;
    this.retryable = info.retryable ?? retryableStatus(info.status);
  }
}

/** A 404: the campaign (or other entity) does not exist. Never retryable. */
export class GenesysNotFound extends GenesysError {
  constructor(message: string, info: Omit<GenesysErrorInfo, 'retryable' | 'status'> = {}) {
    super(message, { ...info, status: 404 });
    this.name = 'GenesysNotFound';
  }
}

export const isGenesysError = (err: unknown): err is GenesysError => err instanceof GenesysError;
