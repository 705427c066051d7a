import {
  reportIdFor,
  type FigureChange,
  type Notification,
  type NotifyEvent,
  type Report,
} from '@wrapup/shared';

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

/** Enough decimals (1 to 4) that two different values never print the same. */
function decimalsFor(values: number[]): number {
  let d = 1;
  while (d < 4 && new Set(values.map((x) => x.toFixed(d))).size < values.length) d++;
  return d;
}

const signed = (text: string, delta: number) => (delta < 0 ? text : `+${text}`);

/**
 * One change as text: `attempts 1500 → 1512 (+12)`, `AHT 120.0 s → 121.4 s (+1.4 s)`,
 * `contact rate 30.0% → 30.2% (+0.2 pp)`; a figure the earlier revision did not have shows as `–`.
 */
export function changeText(c: FigureChange): string {
  if (c.from === null || c.to === null) {
    const show = (x: number | null) =>
      x === null
        ? '–'
        : c.unit === 'ratio'
          ? percent(x)
          : c.unit === 'seconds'
            ? seconds(x)
            : `${x}`;
    return `${c.label} ${show(c.from)} → ${show(c.to)}`;
  }
  const delta = c.to - c.from;
  switch (c.unit) {
    case 'count':
      return `${c.label} ${c.from} → ${c.to} (${signed(String(delta), delta)})`;
    case 'seconds': {
      const d = decimalsFor([c.from, c.to]);
      const text = `${delta.toFixed(d)} s`;
      return `${c.label} ${c.from.toFixed(d)} s → ${c.to.toFixed(d)} s (${signed(text, delta)})`;
    }
    case 'ratio': {
      const [from, to, pp] = [c.from * 100, c.to * 100, delta * 100];
      const d = decimalsFor([from, to]);
      const text = `${pp.toFixed(d)} pp`;
      return `${c.label} ${from.toFixed(d)}% → ${to.toFixed(d)}% (${signed(text, pp)})`;
    }
  }
}

/** `Campaign X final report: attempts 1500 → 1512 (+12), AHT 120.0 s → 121.4 s (+1.4 s)` */
export const revisedLine = (report: Report, changes: readonly FigureChange[]) =>
  `Campaign ${report.campaignId} final report: ${changes.map(changeText).join(', ')}`;

const DENOMINATOR_TEXT = {
  ALL_CALLS: 'all calls',
  CALLS_THAT_REACHED_QUEUE: 'calls that reached the queue',
} as const;

/**
 * `Campaign X (id) compliance abandon rate 4.2% (all calls) is over its limit 3.0%
 * (ABANDON_RATE_LIMIT)`; undefined when the report has no compliance figures or is not over.
 */
export function complianceLine(report: Report): string | undefined {
  const c = report.compliance;
  if (c === undefined || !c.over || c.limit === null) return undefined;
  const name =
    report.campaignName === undefined
      ? report.campaignId
      : `${report.campaignName} (${report.campaignId})`;
  const which =
    c.limitSource === 'campaign' ? "the campaign's own abandonRate target" : 'ABANDON_RATE_LIMIT';
  const d = decimalsFor([c.abandonRate * 100, c.limit * 100]);
  return (
    `Campaign ${name} compliance abandon rate ${(c.abandonRate * 100).toFixed(d)}% ` +
    `(${DENOMINATOR_TEXT[c.denominator]}) is over its limit ${(c.limit * 100).toFixed(d)}% (${which})`
  );
}

export type NotificationInput =
  | { event: 'report.delivered' | 'report.incomplete'; runId: string; report: Report }
  /** With `report`: it could not be written to the warehouse; without: it could not be built. */
  | { event: 'report.failed'; runId: string; report: Report; reason: string }
  | { event: 'report.failed'; runId: string; campaignId: string; reason: string }
  | { event: 'campaign.rejected'; runId: string; campaignId: string; reason: string }
  /** The final re-check's revision differs from the one it re-checked (`changes` not empty). */
  | {
      event: 'report.revised';
      runId: string;
      report: Report;
      changes: FigureChange[];
      previousRevision: number;
    }
  /** The report's compliance abandon rate is over its limit (`report.compliance.over`). */
  | { event: 'report.compliance'; runId: string; report: Report };

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
    case 'report.revised':
      return {
        ...base(input.event, input.runId, input.report, revisedLine(input.report, input.changes)),
        changes: input.changes,
        previousRevision: input.previousRevision,
      };
    case 'report.compliance': {
      const line = complianceLine(input.report);
      if (line === undefined)
        throw new Error(`report ${input.report.reportId} is not over its compliance limit`);
      return base(input.event, input.runId, input.report, line);
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

/**
 * The report page a notification links to (the reports console, under PUBLIC_URL): every run has
 * one, reported or not (a rejected or failed run shows its trail).
 */
export function reportPageUrl(publicUrl: string, n: Pick<Notification, 'runId' | 'reportId'>) {
  const reportId = n.reportId ?? reportIdFor(n.runId);
  return `${publicUrl.replace(/\/+$/, '')}/admin/reports/${encodeURIComponent(reportId)}`;
}

/** Slack's incoming webhooks (hooks.slack.com, and GovSlack's): the only URLs sent `blocks`. */
export function isSlackWebhook(url: string): boolean {
  try {
    const { protocol, hostname } = new URL(url);
    return (
      protocol === 'https:' &&
      (hostname === 'hooks.slack.com' || hostname === 'hooks.slack-gov.com')
    );
  } catch {
    return false;
  }
}

/** Slack's text escaping: `&`, `<` and `>` are its control characters (links, mentions). */
const slackEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

const EVENT_TITLES: Record<NotifyEvent, string> = {
  'report.delivered': 'Report delivered',
  'report.incomplete': 'Report incomplete',
  'report.failed': 'Report failed',
  'report.revised': 'Final report revised',
  'report.compliance': 'Abandon rate over the limit',
  'campaign.rejected': 'Campaign not reported',
};

/**
 * Slack blocks for a notification: a header (what happened, to which campaign), its line, the four
 * headline figures as fields (when it has a report) and a button to the report page. Within
 * Slack's limits (header 150 characters, section text 3000, button label 75).
 */
export function slackBlocks(n: Notification, reportUrl: string): object[] {
  const campaign = n.report?.campaignName ?? n.campaignId;
  const blocks: object[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: clip(`${EVENT_TITLES[n.event]}: ${campaign}`, 150) },
    },
    { type: 'section', text: { type: 'mrkdwn', text: clip(slackEscape(n.text), 3000) } },
  ];
  const m = n.report?.metrics;
  if (m) {
    const field = (label: string, value: string) => ({
      type: 'mrkdwn',
      text: `*${label}*\n${value}`,
    });
    blocks.push({
      type: 'section',
      fields: [
        field('Attempts', String(m.totalCallsAttempted)),
        field('Connect rate', percent(m.connectRate ?? m.contactRate)),
        field('Abandon rate', m.abandonRate === undefined ? '–' : percent(m.abandonRate)),
        field('Avg handle time', seconds(m.avgHandleTimeSeconds)),
      ],
    });
  }
  blocks.push({
    type: 'actions',
    elements: [
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Open report' },
        url: reportUrl,
        action_id: 'open_report',
      },
    ],
  });
  return blocks;
}

/**
 * What is POSTed to one notify URL. Without `publicUrl`, the notification as built. With it
 * (PUBLIC_URL), `text` ends with the link to the report page and `reportUrl` carries it; a Slack
 * incoming webhook also gets `blocks` (slackBlocks), `text` staying the fallback Slack shows in
 * notifications, escaped as Slack requires. Other receivers never get `blocks`.
 */
export function notificationBody(
  n: Notification,
  target: string,
  publicUrl?: string,
): Notification | (Notification & { reportUrl: string; blocks?: object[] }) {
  if (publicUrl === undefined || publicUrl === '') return n;
  const reportUrl = reportPageUrl(publicUrl, n);
  if (!isSlackWebhook(target)) return { ...n, text: `${n.text} ${reportUrl}`, reportUrl };
  return {
    ...n,
    text: `${slackEscape(n.text)} ${reportUrl}`,
    reportUrl,
    blocks: slackBlocks(n, reportUrl),
  };
}
