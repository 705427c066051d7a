import { describe, expect, it } from 'vitest';
import { closeAfterEach, startJsonReceiver } from '@wrapup/shared/testing';
import { createNotifier } from './clients/notify/notifier';
import {
  buildNotification,
  isSlackWebhook,
  notificationBody,
  reportPageUrl,
  summaryLine,
} from './notifications';
import { sampleReport } from './testing/sinks';

const PUBLIC_URL = 'https://wrapup.example.com/ops/';
const SLACK = 'https://hooks.slack.com/services/T000/B000/XXXXXXXX';
const OTHER = 'https://receiver.example.com/hook';

describe('notifications with PUBLIC_URL', () => {
  const { runId, report } = sampleReport({ campaignId: 'camp-1' });
  const delivered = buildNotification({
    event: 'report.delivered',
    runId,
    report: { ...report, campaignName: 'Q4 <Renewals> & more' },
  });
  const page = `https://wrapup.example.com/ops/admin/reports/${report.reportId}`;

  it('links every notification to its report page, reported or not', () => {
    expect(reportPageUrl(PUBLIC_URL, delivered)).toBe(page);
    const rejected = buildNotification({
      event: 'campaign.rejected',
      runId,
      campaignId: 'camp-1',
      reason: 'campaign not found in Genesys Cloud',
    });
    const body = notificationBody(rejected, OTHER, PUBLIC_URL);
    expect(body.text).toBe(
      `Campaign camp-1 was not reported: campaign not found in Genesys Cloud ${page}`,
    );
    expect(body).toMatchObject({ reportUrl: page });
  });

  it('sends other receivers the text with the link at its end and reportUrl, never blocks', () => {
    const body = notificationBody(delivered, OTHER, PUBLIC_URL);
    expect(body.text).toBe(`${summaryLine(report)} ${page}`);
    expect(body.text.endsWith(page)).toBe(true);
    expect(body).toEqual({ ...delivered, text: body.text, reportUrl: page });
    expect('blocks' in body).toBe(false);
  });

  it('sends Slack a header, the four headline figures, a button to the report and the text as fallback', () => {
    const body = notificationBody(delivered, SLACK, PUBLIC_URL);
    expect(body.text.endsWith(` ${page}`)).toBe(true);
    expect(body).toMatchObject({ reportUrl: page, event: 'report.delivered', runId });
    expect('blocks' in body && body.blocks).toEqual([
      {
        type: 'header',
        text: { type: 'plain_text', text: 'Report delivered: Q4 <Renewals> & more' },
      },
      { type: 'section', text: { type: 'mrkdwn', text: summaryLine(report) } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Attempts*\n1500' },
          { type: 'mrkdwn', text: '*Connect rate*\n30.0%' },
          { type: 'mrkdwn', text: '*Abandon rate*\n2.0%' },
          { type: 'mrkdwn', text: '*Avg handle time*\n120.5 s' },
        ],
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Open report' },
            url: page,
            action_id: 'open_report',
          },
        ],
      },
    ]);
  });

  it("escapes Slack's control characters in mrkdwn text, keeps the header plain and within 150 characters", () => {
    const odd = buildNotification({
      event: 'campaign.rejected',
      runId,
      campaignId: `c-${'x'.repeat(200)}`,
      reason: 'a <b> & c',
    });
    const body = notificationBody(odd, SLACK, PUBLIC_URL);
    expect(body.text).toContain('a &lt;b&gt; &amp; c');
    const blocks = ('blocks' in body ? body.blocks : []) as {
      type: string;
      text?: { text: string };
    }[];
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'actions']);
    expect(blocks[0]?.text?.text.length).toBeLessThanOrEqual(150);
    expect(blocks[1]?.text?.text).toContain('a &lt;b&gt; &amp; c');
  });

  it('changes nothing without PUBLIC_URL, Slack included', () => {
    expect(notificationBody(delivered, SLACK)).toBe(delivered);
    expect(notificationBody(delivered, OTHER, '')).toBe(delivered);
  });

  it('tells Slack incoming webhooks from other URLs by their host', () => {
    expect(isSlackWebhook(SLACK)).toBe(true);
    expect(isSlackWebhook('https://hooks.slack-gov.com/services/T/B/X')).toBe(true);
    for (const url of [
      OTHER,
      'http://hooks.slack.com/services/T/B/X',
      'https://hooks.slack.com.evil.example/services',
      'https://evil.example/?hooks.slack.com',
      'not a url',
    ])
      expect(isSlackWebhook(url), url).toBe(false);
  });

  describe('the notifier', () => {
    const closing = closeAfterEach();

    it('posts the linked body with PUBLIC_URL, the notification as built without', async () => {
      const receiver = closing(await startJsonReceiver(() => ({ status: 204 })));
      await createNotifier({ publicUrl: PUBLIC_URL }).send(receiver.url, delivered);
      await createNotifier().send(receiver.url, delivered);
      expect(receiver.requests.map((r) => r.body)).toEqual([
        { ...delivered, text: `${delivered.text} ${page}`, reportUrl: page },
        delivered,
      ]);
    });
  });
});
