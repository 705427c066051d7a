import type { Report } from '@wrapup/shared';
import type { Logger } from '../logger';
import { createEmbeddedSink } from './warehouse-embedded';
import { createHttpSink } from './warehouse-http';
import { createPostgresSink } from './warehouse-postgres';

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

export interface WarehouseConfig {
  url: string | undefined;
  table: string;
  dataDir: string;
}

export interface SinkOptions {
  /** Per-request timeout for the HTTP sink and connection timeout for PostgreSQL. */
  timeoutMs?: number;
}

/** Picks the sink from WAREHOUSE_URL: postgres(ql):// , http(s):// , or unset = embedded. */
export function createWarehouseSink(
  config: WarehouseConfig,
  logger: Logger,
  opts: SinkOptions = {},
): WarehouseSink {
  const log = logger.child({ component: 'warehouse' });
  const url = config.url;
  if (url === undefined) {
    return createEmbeddedSink({ dataDir: config.dataDir, table: config.table }, log);
  }
  const protocol = new URL(url).protocol;
  if (protocol === 'postgres:' || protocol === 'postgresql:') {
    return createPostgresSink({ url, table: config.table, ...opts }, log);
  }
  if (protocol === 'http:' || protocol === 'https:') {
    return createHttpSink({ url, ...opts }, log);
  }
  throw new Error(
    `WAREHOUSE_URL must be a postgres://, http:// or https:// URL, got protocol ${protocol}`,
  );
}
