import { describe, expect, it } from 'vitest';
import type { Report } from '@wrapup/shared';
import { buildNotification } from '../notifications';
import { sampleReport } from '../testing/sinks';
import { computeCompliance } from './compute';

/** 600 attempted, 200 connected, 12 abandoned. */
const report = (): Report => {
  const base = sampleReport().report;
  return {
    ...base,
    metrics: {
      ...base.metrics,
      totalCallsAttempted: 600,
      successfulContacts: 200,
      connectedCalls: 200,
      abandonedCalls: 12,
      abandonRate: 12 / 200,
    },
  };
};

describe('computeCompliance', () => {
  it('divides by every call placed (ALL_CALLS) or by the calls that reached the queue', () => {
    const all = computeCompliance(report(), {
      denominator: 'ALL_CALLS',
      campaignTargetPercent: 5,
      abandonRateLimit: 0.03,
      configVersion: 3,
    });
    expect(all).toMatchObject({ abandonRate: 12 / 600, over: false, configVersion: 3 });
    const queue = computeCompliance(report(), {
      denominator: 'CALLS_THAT_REACHED_QUEUE',
      campaignTargetPercent: 5,
      abandonRateLimit: 0.03,
      configVersion: 3,
    });
    expect(queue).toMatchObject({ abandonRate: 12 / 200, over: true });
  });

  it("checks against the lower of the campaign's target (a percentage) and ABANDON_RATE_LIMIT", () => {
    const input = { denominator: 'ALL_CALLS', abandonRateLimit: 0.03, configVersion: 1 } as const;
    expect(computeCompliance(report(), { ...input, campaignTargetPercent: 1.5 })).toMatchObject({
      limit: 0.015,
      limitSource: 'campaign',
      campaignTarget: 0.015,
      over: true, // 2% > 1.5%
    });
    expect(computeCompliance(report(), { ...input, campaignTargetPercent: 5 })).toMatchObject({
      limit: 0.03,
      limitSource: 'ABANDON_RATE_LIMIT',
      over: false,
    });
    expect(computeCompliance(report(), { ...input, campaignTargetPercent: null })).toMatchObject({
      limit: 0.03,
      limitSource: 'ABANDON_RATE_LIMIT',
      campaignTarget: null,
    });
    // exactly at the limit is not over it
    expect(computeCompliance(report(), { ...input, campaignTargetPercent: 2 })?.over).toBe(false);
  });

  it('ABANDON_RATE_LIMIT=0 turns the check off; a v2.0 report (no abandons) gets none', () => {
    expect(
      computeCompliance(report(), {
        denominator: 'ALL_CALLS',
        campaignTargetPercent: 0.1,
        abandonRateLimit: 0,
        configVersion: 1,
      }),
    ).toMatchObject({ limit: null, limitSource: null, over: false, abandonRate: 0.02 });
    const v20 = report();
    delete v20.metrics.abandonedCalls;
    expect(
      computeCompliance(v20, {
        denominator: 'ALL_CALLS',
        campaignTargetPercent: 5,
        abandonRateLimit: 0.03,
        configVersion: 1,
      }),
    ).toBeUndefined();
  });

  it('no calls: a rate of 0, never NaN', () => {
    const empty = report();
    empty.metrics = {
      ...empty.metrics,
      totalCallsAttempted: 0,
      connectedCalls: 0,
      abandonedCalls: 0,
    };
    expect(
      computeCompliance(empty, {
        denominator: 'CALLS_THAT_REACHED_QUEUE',
        campaignTargetPercent: 3,
        abandonRateLimit: 0.03,
        configVersion: 1,
      })?.abandonRate,
    ).toBe(0);
  });

  it('report.compliance says the campaign, the rate, the limit and which limit it was', () => {
    const r = report();
    const compliance = computeCompliance(r, {
      denominator: 'CALLS_THAT_REACHED_QUEUE',
      campaignTargetPercent: 5,
      abandonRateLimit: 0.03,
      configVersion: 2,
    });
    const n = buildNotification({
      event: 'report.compliance',
      runId: 'run-x',
      report: { ...r, campaignName: 'Spring sale', compliance: compliance! },
    });
    expect(n.text).toBe(
      `Campaign Spring sale (${r.campaignId}) compliance abandon rate 6.0% (calls that reached the queue) is over its limit 3.0% (ABANDON_RATE_LIMIT)`,
    );
    expect(n.event).toBe('report.compliance');
    expect(() =>
      buildNotification({ event: 'report.compliance', runId: 'run-x', report: r }),
    ).toThrow(/not over/);
  });
});
