import { http, safeTarget } from '../http-client';
import type { Report } from '@wrapup/shared';
import type { Logger } from '../../logger';
import type { ConfigurationArchive, WarehouseSink, WriteResult } from './sink';

export interface HttpSinkOptions {
  url: string;
  timeoutMs?: number;
}

/** True when the body carries `reportId` equal to ours, at the top or nested (e.g. `{data: {reportId}}`). */
export function echoesReportId(body: unknown, reportId: string, depth = 4): boolean {
  if (typeof body !== 'object' || body === null || depth < 0) return false;
  if (Array.isArray(body)) return body.some((item) => echoesReportId(item, reportId, depth - 1));
  const record = body as Record<string, unknown>;
  if (record.reportId === reportId) return true;
  return Object.values(record).some((value) => echoesReportId(value, reportId, depth - 1));
}

/**
 * The Idempotency-Key of a report's POST: the reportId for revision 1 (as before revisions
 * existed), `<reportId>.r<revision>` for a later one, so a receiver that drops repeats still takes
 * the final revision. Keeping the row's revision from going backwards is the receiver's part
 * (the report carries `revision` and `final`).
 */
export const httpIdempotencyKey = (report: Report) =>
  (report.revision ?? 1) > 1 ? `${report.reportId}.r${report.revision}` : report.reportId;

/** The `kind` of an archived configuration's body (a report's body has none). */
export const CONFIGURATION_KIND = 'campaign-configuration';

export const configurationIdempotencyKey = (
  a: Pick<ConfigurationArchive, 'campaignId' | 'version'>,
) => `config.${a.campaignId}.v${a.version}`;

/**
 * WAREHOUSE_URL=http(s)://...: POSTs the report with `Idempotency-Key: <reportId>` (see httpIdempotencyKey); written only
 * on a 2xx whose JSON body echoes the same reportId. No got-internal retries: BullMQ retries.
 */
export function createHttpSink(opts: HttpSinkOptions, logger: Logger): WarehouseSink {
  const target = safeTarget(opts.url);
  return {
    kind: 'http',
    init() {
      logger.info({ target }, 'warehouse ready (http)');
      return Promise.resolve();
    },
    async write(report: Report): Promise<WriteResult> {
      const response = await http.post(opts.url, {
        json: report,
        headers: { 'idempotency-key': httpIdempotencyKey(report), accept: 'application/json' },
        timeout: { request: opts.timeoutMs ?? 15_000 },
      });
      const { statusCode } = response;
      if (statusCode < 200 || statusCode >= 300) {
        throw new Error(`warehouse ${target} answered ${statusCode} for ${report.reportId}`);
      }
      let body: unknown;
      try {
        body = JSON.parse(response.body) as unknown;
      } catch {
        throw new Error(
          `warehouse ${target} answered ${statusCode} without a JSON body for ${report.reportId}`,
        );
      }
      if (!echoesReportId(body, report.reportId)) {
        throw new Error(
          `warehouse ${target} answered ${statusCode} without echoing reportId ${report.reportId}; not counted as written`,
        );
      }
      return { confirmed: true };
    },
    /**
     * POSTs `{kind: 'campaign-configuration', campaignId, version, configuration,
     * outboundSettings, archivedAt}` to the same URL with `Idempotency-Key:
     * config.<campaignId>.v<version>`; stored on any 2xx (keeping the first copy of a version is
     * the receiver's part). Reports are told apart by having no `kind`.
     */
    async archiveConfiguration(archive: ConfigurationArchive) {
      const response = await http.post(opts.url, {
        json: { kind: CONFIGURATION_KIND, ...archive },
        headers: {
          'idempotency-key': configurationIdempotencyKey(archive),
          accept: 'application/json',
        },
        timeout: { request: opts.timeoutMs ?? 15_000 },
      });
      const { statusCode } = response;
      if (statusCode < 200 || statusCode >= 300)
        throw new Error(
          `warehouse ${target} answered ${statusCode} for the configuration of ${archive.campaignId} version ${archive.version}`,
        );
      return { inserted: true };
    },
    close: () => Promise.resolve(),
  };
}
