import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { startJsonReceiver, type JsonReceiver } from '@wrapup/shared/testing';
import { createLogger } from '../../logger';
import { sampleReport } from '../../testing/sinks';
import { createWarehouseSink } from './factory';
import { CONFIGURATION_KIND } from './http';
import type { ConfigurationArchive } from './sink';

/** Issue 20: every sink carries the campaign configuration archive next to the reports. */

const logger = createLogger({ level: 'silent' });

const archive = (version: number, abandonRate = 3): ConfigurationArchive => ({
  campaignId: 'camp-archive',
  version,
  configuration: { id: 'camp-archive', version, dialingMode: 'predictive', abandonRate },
  outboundSettings: { complianceAbandonRateDenominator: 'ALL_CALLS', abandonSeconds: 2 },
  archivedAt: '2026-12-01T10:00:00.000Z',
});

describe('configuration archive in the sinks', () => {
  let dataDir: string | undefined;
  let receiver: JsonReceiver | undefined;
  afterEach(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await receiver?.close();
    dataDir = undefined;
    receiver = undefined;
  });

  it('embedded (PGlite): one row per campaign and version, the first copy kept; reports name their version', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wrapup-archive-'));
    const sink = createWarehouseSink(
      { url: undefined, table: 'campaign_reports', dataDir },
      logger,
    );
    const { report } = sampleReport();
    try {
      await expect(sink.archiveConfiguration(archive(4))).resolves.toEqual({ inserted: true });
      // the same version again (even with other content): kept as first stored
      await expect(sink.archiveConfiguration(archive(4, 9))).resolves.toEqual({
        inserted: false,
      });
      await expect(sink.archiveConfiguration(archive(5))).resolves.toEqual({ inserted: true });
      await sink.write({
        ...report,
        compliance: {
          abandonRate: 0.01,
          denominator: 'ALL_CALLS',
          rule: 'abandoned / attempted',
          limit: 0.03,
          limitSource: 'ABANDON_RATE_LIMIT',
          campaignTarget: 0.03,
          over: false,
          configVersion: 5,
        },
      });
    } finally {
      await sink.close();
    }
    const db = await PGlite.create(join(dataDir, 'warehouse'));
    try {
      const { rows } = await db.query<{
        version: number;
        configuration: { abandonRate: number };
        outbound_settings: unknown;
      }>('select * from campaign_configurations order by version');
      expect(rows.map((r) => [r.version, r.configuration.abandonRate])).toEqual([
        [4, 3],
        [5, 3],
      ]);
      expect(rows[0]?.outbound_settings).toEqual(archive(4).outboundSettings);
      const { rows: reports } = await db.query<{ campaign_version: number | null }>(
        'select campaign_version from campaign_reports',
      );
      expect(reports).toEqual([{ campaign_version: 5 }]);
    } finally {
      await db.close();
    }
  });

  it('HTTP: POSTs the archive as its own body with a kind and a per-version idempotency key', async () => {
    receiver = await startJsonReceiver(() => ({ status: 202, body: { stored: true } }));
    const sink = createWarehouseSink({ url: receiver.url, table: 'unused', dataDir: '' }, logger, {
      timeoutMs: 2_000,
    });
    await expect(sink.archiveConfiguration(archive(7))).resolves.toEqual({ inserted: true });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]?.headers['idempotency-key']).toBe('config.camp-archive.v7');
    expect(receiver.requests[0]?.body).toEqual({ kind: CONFIGURATION_KIND, ...archive(7) });

    receiver.respondWith(() => ({ status: 500 }));
    await expect(sink.archiveConfiguration(archive(8))).rejects.toThrow(/answered 500/);
  });
});
