import { reportIdFor, type Notification, type NotifyEvent, type Report } from '@wrapup/shared';

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;
const seconds = (s: number) => `${Number.isInteger(s) ? s : s.toFixed(1)} s`;

/** `Campaign X completed: 1500 attempted, 450 connected (30.0%), avg handle 120 s` */
export function summaryLine(report: Report): string {
  const m = report.metrics;
  return (
    `Campaign ${report.campaignId} ${m.status}: ${m.totalCallsAttempted} attempted, ` +
    `${m.successfulContacts} connected (${percent(m.contactRate)}), avg handle ${seconds(m.avgHandleTimeSeconds)}`
  );
}

const incompleteNote = (report: Report) =>
  ` (analytics incomplete: ${report.observedCount} of ${report.expectedCount ?? 'unknown'} expected)`;

export type NotificationInput =
  | { event: 'report.delivered' | 'report.incomplete'; runId: string; report: Report }
  /** With `report`: it could not be written to the warehouse; without: it could not be built. */
  | { event: 'report.failed'; runId: string; report: Report; reason: string }
  | { event: 'report.failed'; runId: string; campaignId: string; reason: string }
  | { event: 'campaign.rejected'; runId: string; campaignId: string; reason: string };

/** The contract's notification body: one human `text` line (Slack shows it) plus structured fields. */
export function buildNotification(input: NotificationInput): Notification {
  switch (input.event) {
    case 'report.delivered':
      return base(input.event, input.runId, input.report, summaryLine(input.report));
    case 'report.incomplete':
      return base(
        input.event,
        input.runId,
        input.report,
        summaryLine(input.report) + incompleteNote(input.report),
      );
    case 'report.failed': {
      if (!('report' in input)) {
        const reportId = reportIdFor(input.runId);
        return {
          text: `Report ${reportId} for campaign ${input.campaignId} could not be built: ${input.reason}`,
          event: input.event,
          campaignId: input.campaignId,
          runId: input.runId,
          reportId,
          reason: input.reason,
        };
      }
      return {
        ...base(
          input.event,
          input.runId,
          input.report,
          `Report ${input.report.reportId} for campaign ${input.report.campaignId} could not be written to the warehouse: ${input.reason}`,
        ),
        reason: input.reason,
      };
    }
    case 'campaign.rejected':
      return {
        text: `Campaign ${input.campaignId} was not reported: ${input.reason}`,
        event: input.event,
        campaignId: input.campaignId,
        runId: input.runId,
        reason: input.reason,
      };
  }
}

function base(event: NotifyEvent, runId: string, report: Report, text: string): Notification {
  return { text, event, campaignId: report.campaignId, runId, reportId: report.reportId, report };
}
