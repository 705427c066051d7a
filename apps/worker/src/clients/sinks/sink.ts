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
 * A campaign's configuration as it was in force for a report (apps/worker/src/compliance): the
 * campaign object and the org's Outbound Settings as Genesys returned them, keyed by campaign id
 * and campaign version. Archived once per version; every report row names its version.
 */
export interface ConfigurationArchive {
  campaignId: string;
  version: number;
  configuration: unknown;
  outboundSettings: unknown;
  /** ISO UTC. */
  archivedAt: string;
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
  /**
   * Stores a campaign configuration unless its (campaign id, version) is there already (then
   * nothing changes: the first one stays). Resolves once the warehouse confirmed; `inserted`
   * tells whether this call added it (the HTTP sink cannot tell: always true on a 2xx).
   */
  archiveConfiguration(archive: ConfigurationArchive): Promise<{ inserted: boolean }>;
  close(): Promise<void>;
}
