import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Report } from '@wrapup/shared';
import { createPgFixture, type PgFixture } from '@wrapup/shared/testing';
import { createLogger } from '../../logger';
import { sampleReport } from '../../testing/sinks';
import { createWarehouseSink, type WarehouseSink } from './factory';

const logger = createLogger({ level: 'silent' });

/** A revision of the sample report with its own attempts figure (so rows tell revisions apart). */
const revisionOf = (base: Report, revision: number, final: boolean, attempts: number): Report => ({
  ...base,
  metrics: { ...base.metrics, totalCallsAttempted: attempts },
  revision,
  final,
});

interface Backend {
  name: string;
  open(): Promise<{
    sink: WarehouseSink;
    rows: (reportId: string) => Promise<Record<string, unknown>[]>;
  }>;
  close(): Promise<void>;
}

const postgres = (): Backend => {
  let fx: PgFixture | undefined;
  return {
    name: 'PostgreSQL',
    async open() {
      fx = await createPgFixture('rev');
      const pg = fx;
      const sink = createWarehouseSink(
        { url: pg.databaseUrl, table: pg.table(), dataDir: '/nonexistent' },
        logger,
      );
      return {
        sink,
        rows: async (id) =>
          (await pg.pool.query(`select * from ${pg.table()} where report_id = $1`, [id]))
            .rows as Record<string, unknown>[],
      };
    },
    async close() {
      await fx?.cleanup();
    },
  };
};

const embedded = (): Backend => {
  let dir: string | undefined;
  let sink: WarehouseSink | undefined;
  return {
    name: 'embedded PGlite',
    async open() {
      dir = await mkdtemp(join(tmpdir(), 'wrapup-revision-'));
      const opened = createWarehouseSink(
        { url: undefined, table: 'campaign_reports', dataDir: dir },
        logger,
      );
      sink = opened;
      await opened.init();
      return {
        sink: opened,
        // PGlite is single-process and the sink holds it: read after closing the sink (last step)
        rows: async (id) => {
          await opened.close();
          const { PGlite } = await import('@electric-sql/pglite');
          const pgl = await PGlite.create(join(dir!, 'warehouse'));
          try {
            return (
              await pgl.query<Record<string, unknown>>(
                'select * from campaign_reports where report_id = $1',
                [id],
              )
            ).rows;
          } finally {
            await pgl.close();
          }
        },
      };
    },
    async close() {
      await sink?.close().catch(() => undefined);
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
};

describe.each([
  { name: 'PostgreSQL', make: postgres },
  { name: 'embedded PGlite', make: embedded },
])('warehouse revision guard ($name)', ({ make }) => {
  let backend: Backend;
  beforeEach(() => {
    backend = make();
  });
  afterEach(async () => {
    await backend.close();
  });

  it('never takes the row back: an older or provisional revision arriving late is superseded', async () => {
    const { sink, rows } = await backend.open();
    const base = sampleReport().report;
    const r1 = revisionOf(base, 1, false, 1500);
    const r2 = revisionOf(base, 2, true, 1512);
    await expect(sink.write(r1)).resolves.toEqual({ confirmed: true });
    await expect(sink.write(r2)).resolves.toEqual({ confirmed: true });
    // the same revision again (a retried job) is written again
    await expect(sink.write(r2)).resolves.toEqual({ confirmed: true });
    // revision 1 retried late: the row keeps revision 2
    await expect(sink.write(r1)).resolves.toEqual({
      confirmed: true,
      superseded: { revision: 2, final: true },
    });
    // a later revision that is not final cannot make a final row provisional
    await expect(sink.write(revisionOf(base, 3, false, 1600))).resolves.toEqual({
      confirmed: true,
      superseded: { revision: 2, final: true },
    });
    // a later final revision (a replay after the final re-check) is written
    await expect(sink.write(revisionOf(base, 3, true, 1520))).resolves.toEqual({
      confirmed: true,
    });
    const stored = await rows(base.reportId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ revision: 3, final: true, total_calls_attempted: 1520 });
  });
});
