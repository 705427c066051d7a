import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Report } from '@wrapup/shared';
import type { Logger } from '../../logger';
import type { ConfigurationArchive, WarehouseSink, WriteResult } from './sink';
import { ensureConfigurationTable, ensureTable, parseTableName, type SqlQueryable } from './schema';
import { archiveConfiguration, upsertAndConfirm } from './sql';
import { memoizeUntilFailure, serialByKey } from './ready';

export interface PostgresSinkOptions {
  url: string;
  table: string;
  /** Connection and statement timeout (a hung warehouse must fail the attempt, not the lock). */
  timeoutMs?: number;
  poolSize?: number;
}

/** WAREHOUSE_URL=postgres://...: upsert on report_id, then read back and compare every column. */
export function createPostgresSink(opts: PostgresSinkOptions, logger: Logger): WarehouseSink {
  const table = parseTableName(opts.table);
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 4,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection emits here; without a listener it would crash the process.
  pool.on('error', (err) => logger.warn({ err }, 'idle warehouse connection failed'));
  const db = preparedQueries(pool);

  const serial = serialByKey();
  const ready = memoizeUntilFailure(async () => {
    const addedColumns = await ensureTable(db, table);
    await ensureConfigurationTable(db, table);
    logger.info({ table: opts.table, addedColumns }, 'warehouse table ready (postgres)');
  });

  return {
    kind: 'postgres',
    init: ready,
    async write(report: Report): Promise<WriteResult> {
      await ready();
      return serial(report.reportId, () => upsertAndConfirm(db, table, report));
    },
    async archiveConfiguration(archive: ConfigurationArchive) {
      await ready();
      return archiveConfiguration(db, table, archive);
    },
    async close() {
      await pool.end();
    },
  };
}

/**
 * Runs every parameterised statement as a named prepared statement: each pooled connection parses
 * and plans the upsert once instead of on every write. Statements without parameters (the DDL) run
 * as they are.
 */
function preparedQueries(pool: pg.Pool): SqlQueryable {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (name === undefined) {
      name = `wrapup_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      names.set(text, name);
    }
    return name;
  };
  return {
    async query<R = Record<string, unknown>>(text: string, params?: unknown[]) {
      const result =
        params === undefined
          ? await pool.query(text)
          : await pool.query({ name: nameOf(text), text, values: params });
      return { rows: result.rows as R[] };
    },
  };
}
