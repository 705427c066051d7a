import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../logger';
import { createWarehouseSink, type WarehouseSink } from './factory';
import { DataDirLockedError } from './lock';
import { SAMPLE_V21_FIGURES, sampleReport, sampleReportV20 } from '../../testing/sinks';
import { V20_DDL, V20_DEFAULTS } from '../../testing/v20-fixture';

const logger = createLogger({ level: 'silent' });

describe('embedded warehouse sink (PGlite)', () => {
  let dataDir: string;
  const open = (): WarehouseSink =>
    createWarehouseSink({ url: undefined, table: 'campaign_reports', dataDir }, logger);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wrapup-embedded-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes, confirms and persists completed and stopped reports; refuses a second opener', async () => {
    const sink = open();
    expect(sink.kind).toBe('embedded');
    const completed = sampleReport({ status: 'completed' }).report;
    const stopped = sampleReport({ status: 'stopped' }).report;
    try {
      await expect(sink.write(completed)).resolves.toEqual({ confirmed: true });
      await expect(sink.write(stopped)).resolves.toEqual({ confirmed: true });
      await expect(sink.write(completed)).resolves.toEqual({ confirmed: true }); // a replay
      expect((await readFile(join(dataDir, 'warehouse.lock'), 'utf8')).trim()).toBe(
        String(process.pid),
      );

      const second = open();
      const err = await second.init().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataDirLockedError);
      expect((err as Error).message).toContain(
        `DATA_DIR=${dataDir} is already open by process ${process.pid}`,
      );
      await expect(second.write(completed)).rejects.toThrow(/already open/);
    } finally {
      await sink.close();
    }

    // Closed: the lock is gone and the rows are on disk, readable by any PostgreSQL client.
    await expect(readFile(join(dataDir, 'warehouse.lock'))).rejects.toThrow(/ENOENT/);
    const db = await PGlite.create(join(dataDir, 'warehouse'));
    try {
      const { rows } = await db.query<Record<string, unknown>>(
        'select * from campaign_reports order by status',
      );
      expect(rows).toHaveLength(2);
      expect(rows.map((r) => [r.report_id, r.status, r.end_time])).toEqual([
        [completed.reportId, 'completed', new Date(completed.completionTimestamp)],
        [stopped.reportId, 'stopped', null],
      ]);
      expect(rows[0]?.report).toEqual(completed);
      expect(rows[1]?.report).toEqual(stopped);
      expect(rows[0]).toMatchObject({
        total_calls_attempted: 1500,
        contact_rate: 0.3,
        complete: true,
        revision: 1,
        final: false,
        abandoned_calls: 9,
        abandon_rate: 0.02,
        completeness_verdict: 'settled',
      });
    } finally {
      await db.close();
    }
  });

  it('refuses a lock held by another live process and takes over a stale one', async () => {
    await writeFile(join(dataDir, 'warehouse.lock'), `${process.ppid}\n`);
    await expect(open().init()).rejects.toThrow(
      `DATA_DIR=${dataDir} is already open by process ${process.ppid}`,
    );

    const dead = spawnSync(process.execPath, ['-e', 'process.pid'], { stdio: 'ignore' }).pid;
    expect(dead).toBeGreaterThan(0);
    await writeFile(join(dataDir, 'warehouse.lock'), `${dead}\n`);
    const sink = open();
    try {
      await sink.init();
      expect((await readFile(join(dataDir, 'warehouse.lock'), 'utf8')).trim()).toBe(
        String(process.pid),
      );
      await expect(sink.write(sampleReport().report)).resolves.toEqual({ confirmed: true });
    } finally {
      await sink.close();
    }
  });

  // Opens PGlite three times (v2.0's warehouse, the sink, the check): slow on a busy machine.
  it(
    'migrates a warehouse written by v2.0 in place, keeping its rows',
    { timeout: 90_000 },
    async () => {
      const oldDir = await mkdtemp(join(tmpdir(), 'wrapup-embedded-v20-'));
      try {
        // The table and a row exactly as the v2.0 service left them on disk.
        const old = sampleReportV20({ status: 'stopped', complete: false }).report;
        const before = await PGlite.create(join(oldDir, 'warehouse'));
        try {
          await before.query(V20_DDL('"campaign_reports"'));
          await before.query(
            `insert into campaign_reports values ($1, $2, $3, $4, null, 1500, 450, 0.3, 120.5, false, $5, now())`,
            [old.reportId, old.campaignId, 'stopped', old.completionTimestamp, JSON.stringify(old)],
          );
        } finally {
          await before.close();
        }

        const sink = createWarehouseSink(
          { url: undefined, table: 'campaign_reports', dataDir: oldDir },
          logger,
        );
        const next = sampleReport({ revision: 2, final: true }).report;
        try {
          await expect(sink.write(next)).resolves.toEqual({ confirmed: true });
          await expect(sink.write(sampleReportV20().report)).resolves.toEqual({ confirmed: true });
        } finally {
          await sink.close();
        }

        const after = await PGlite.create(join(oldDir, 'warehouse'));
        try {
          const { rows } = await after.query<Record<string, unknown>>(
            'select * from campaign_reports where report_id = any($1)',
            [[old.reportId, next.reportId]],
          );
          const byId = new Map(rows.map((r) => [r.report_id, r]));
          expect(byId.get(old.reportId)).toMatchObject({
            status: 'stopped',
            complete: false,
            report: old,
            ...V20_DEFAULTS,
          });
          expect(byId.get(next.reportId)).toMatchObject({
            report: next,
            revision: 2,
            final: true,
            ...SAMPLE_V21_FIGURES,
            completeness_verdict: 'settled',
          });
          const { rows: all } = await after.query<{ n: number }>(
            'select count(*)::int as n from campaign_reports',
          );
          expect(all[0]?.n).toBe(3);
        } finally {
          await after.close();
        }
      } finally {
        await rm(oldDir, { recursive: true, force: true });
      }
    },
  );
});
