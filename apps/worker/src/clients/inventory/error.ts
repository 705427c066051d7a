/**
 * The inventory could not answer (unreachable URL, unexpected status, unreadable file). Always
 * retryable: the lookup may work on a later attempt; it never means "unknown campaign".
 */
export class InventoryError extends Error {
  readonly retryable = true;
  readonly status: number | undefined;

  constructor(message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'InventoryError';
    this.status = opts.status;
  }
}
