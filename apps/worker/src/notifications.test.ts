import { describe, expect, it } from 'vitest';
import { sampleReport } from './testing/sinks';
import { buildNotification, summaryLine } from './notifications';

describe('notifications', () => {
  const { runId, report } = sampleReport({ campaignId: 'camp-1' });

  it('summarises a report in one Slack line', () => {
    const integral = { ...report, metrics: { ...report.metrics, avgHandleTimeSeconds: 120 } };
    expect(summaryLine(integral)).toBe(
      'Campaign camp-1 completed: 1500 attempted, 450 connected (30.0%), avg handle 120 s',
    );
    const empty = {
      ...report,
      metrics: {
        ...report.metrics,
        totalCallsAttempted: 0,
        successfulContacts: 0,
        contactRate: 0,
        avgHandleTimeSeconds: 0,
        status: 'stopped' as const,
      },
    };
    expect(summaryLine(empty)).toBe(
      'Campaign camp-1 stopped: 0 attempted, 0 connected (0.0%), avg handle 0 s',
    );
  });

  it('builds each event with the fields of the README Notifications section', () => {
    expect(buildNotification({ event: 'report.delivered', runId, report })).toEqual({
      text: summaryLine(report),
      event: 'report.delivered',
      campaignId: 'camp-1',
      runId,
      reportId: report.reportId,
      report,
    });
    const incomplete = buildNotification({
      event: 'report.incomplete',
      runId,
      report: { ...report, dataComplete: false, observedCount: 1200 },
    });
    expect(incomplete.text).toMatch(/\(analytics incomplete: 1200 of 1500 expected\)$/);
    const failed = buildNotification({
      event: 'report.failed',
      runId,
      report,
      reason: 'connection refused',
    });
    expect(failed).toMatchObject({
      event: 'report.failed',
      reportId: report.reportId,
      reason: 'connection refused',
      report,
    });
    expect(failed.text).toBe(
      `Report ${report.reportId} for campaign camp-1 could not be written to the warehouse: connection refused`,
    );
    // the analytics stage gave up before a report existed: no report, its id from the run id
    expect(
      buildNotification({
        event: 'report.failed',
        runId,
        campaignId: 'camp-1',
        reason: 'analytics did not answer',
      }),
    ).toEqual({
      text: `Report ${report.reportId} for campaign camp-1 could not be built: analytics did not answer`,
      event: 'report.failed',
      campaignId: 'camp-1',
      runId,
      reportId: report.reportId,
      reason: 'analytics did not answer',
    });
    expect(
      buildNotification({
        event: 'campaign.rejected',
        runId,
        campaignId: 'camp-9',
        reason: 'unknown campaign',
      }),
    ).toEqual({
      text: 'Campaign camp-9 was not reported: unknown campaign',
      event: 'campaign.rejected',
      campaignId: 'camp-9',
      runId,
      reason: 'unknown campaign',
    });
  });
});
