import type { Report } from '@wrapup/shared';

/** Returned only once the warehouse has confirmed the write; every other outcome throws. */
export interface WriteResult {
  confirmed: true;
}

/**
 * Where reports go. `write` upserts one report (one row per reportId, so rewriting the same
 * report never adds a second one) and resolves only after the warehouse confirmed it; any
 * failure throws, and the warehouse job retries with backoff.
 */
export interface WarehouseSink {
  readonly kind: 'postgres' | 'http' | 'embedded';
  /** Connects / creates the table / takes the data-dir lock. `write` also does this lazily. */
  init(): Promise<void>;
  write(report: Report): Promise<WriteResult>;
  close(): Promise<void>;
}
