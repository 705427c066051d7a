import { join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Report } from '@wrapup/shared';
import type { Logger } from '../../logger';
import type { ConfigurationArchive, WarehouseSink, WriteResult } from './sink';
import { acquireDirLock, type DirLock } from './lock';
import { memoizeUntilFailure, serialByKey } from './ready';
import { ensureConfigurationTable, ensureTable, parseTableName } from './schema';
import { archiveConfiguration, upsertAndConfirm } from './sql';

export interface EmbeddedSinkOptions {
  /** DATA_DIR; the database lives in `<dataDir>/warehouse`, the lock in `<dataDir>/warehouse.lock`. */
  dataDir: string;
  table: string;
}

/**
 * The embedded warehouse (no WAREHOUSE_URL), so `pnpm start` needs no database server.
 *
 * Why PGlite: it is PostgreSQL itself compiled to WASM, so the table, the upsert and the
 * read-back are the very SQL the PostgreSQL sink runs (sql.ts, one code path, same
 * timestamptz/jsonb semantics); WASM means no native build on any Node version or platform;
 * and it persists to a plain directory. SQLite would need a second dialect (no timestamptz or
 * jsonb, different upsert) and a native module. PGlite is single-process, hence the lock file.
 */
export function createEmbeddedSink(opts: EmbeddedSinkOptions, logger: Logger): WarehouseSink {
  const table = parseTableName(opts.table);
  const dbDir = join(resolve(opts.dataDir), 'warehouse');
  let db: PGlite | undefined;
  let lock: DirLock | undefined;

  const serial = serialByKey();
  const ready = memoizeUntilFailure(async () => {
    lock = await acquireDirLock(opts.dataDir);
    try {
      const { PGlite } = await import('@electric-sql/pglite');
      db = await PGlite.create(dbDir);
      const addedColumns = await ensureTable(db, table);
      await ensureConfigurationTable(db, table);
      logger.info(
        { dataDir: dbDir, table: opts.table, addedColumns },
        'warehouse ready (embedded PGlite)',
      );
    } catch (err) {
      await db?.close().catch(() => undefined);
      db = undefined;
      await lock.release();
      lock = undefined;
      throw err;
    }
  });

  return {
    kind: 'embedded',
    init: ready,
    async write(report: Report): Promise<WriteResult> {
      await ready();
      const open = db;
      if (!open) throw new Error('embedded warehouse is closed');
      return serial(report.reportId, () => upsertAndConfirm(open, table, report));
    },
    async archiveConfiguration(archive: ConfigurationArchive) {
      await ready();
      const open = db;
      if (!open) throw new Error('embedded warehouse is closed');
      return archiveConfiguration(open, table, archive);
    },
    async close() {
      const open = db;
      db = undefined;
      try {
        await open?.close();
      } finally {
        await lock?.release();
        lock = undefined;
      }
    },
  };
}
