import type { Report } from '@wrapup/shared';

/** Returned only once the warehouse has confirmed the write; every other outcome throws. */
export interface WriteResult {
  confirmed: true;
  /**
   * The row already held a newer revision of the report (a higher revision, or a final one
   * while this one is not), so it was left as it was: a revision never goes backwards.
   * What the row holds is given. Absent when the report was written.
   */
  superseded?: { revision: number; final: boolean };
}

/**
 * Where reports go. `write` upserts one report (one row per reportId, so rewriting the same
 * report never adds a second one) and resolves only after the warehouse confirmed it; any
 * failure throws, and the warehouse job retries with backoff. A report whose revision is older
 * than the row's is not written (`superseded`; the SQL sinks, see sql.ts).
 */
export interface WarehouseSink {
  readonly kind: 'postgres' | 'http' | 'embedded';
  /** Connects / creates the table / takes the data-dir lock. `write` also does this lazily. */
  init(): Promise<void>;
  write(report: Report): Promise<WriteResult>;
  close(): Promise<void>;
}
