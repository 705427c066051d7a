import type { Logger } from '../../logger';
import { createEmbeddedSink } from './embedded';
import { createHttpSink } from './http';
import { createPostgresSink } from './postgres';
import type { WarehouseSink } from './sink';

export type { WarehouseSink, WriteResult } from './sink';

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
