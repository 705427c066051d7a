export interface GenesysErrorInfo {
  /** HTTP status, undefined for network errors and timeouts. */
  status?: number | undefined;
  /** Genesys error code (`too.many.requests.retry.after`, `not.found`, ...) or our own (`ETIMEDOUT`, `bad_response`). */
  code?: string | undefined;
  /** `ININ-Correlation-ID` of the answer, when there was one. */
  correlationId?: string | undefined;
  /**
   * Whether a later attempt (a BullMQ retry) may succeed. The client has already done its own
   * retries when this is thrown: true for 429/5xx/network errors that outlived them, for other
   * 5xx and for a malformed answer; false for 4xx (bad request, credentials, not found).
   */
  retryable: boolean;
  cause?: unknown;
}

/** Every failure of a Genesys Cloud call. */
export class GenesysError extends Error {
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly correlationId: string | undefined;
  readonly retryable: boolean;

  constructor(message: string, info: GenesysErrorInfo) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.name = 'GenesysError';
    this.status = info.status;
    this.code = info.code;
    this.correlationId = info.correlationId;
    this.retryable = info.retryable;
  }
}

/** A 404: the campaign (or other entity) does not exist. Never retryable. */
export class GenesysNotFound extends GenesysError {
  constructor(message: string, info: Omit<GenesysErrorInfo, 'retryable' | 'status'> = {}) {
    super(message, { ...info, status: 404, retryable: false });
    this.name = 'GenesysNotFound';
  }
}

export const isGenesysError = (err: unknown): err is GenesysError => err instanceof GenesysError;
