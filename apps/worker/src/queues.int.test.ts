import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notifyTargetHash } from '@wrapup/shared';
import { createRedisFixture, type RedisFixture } from '@wrapup/shared/testing';
import { sampleReport } from './testing/sinks';
import { buildNotification } from './notifications';
import {
  createQueues,
  enqueueNotifications,
  enqueueWarehouse,
  jobOptionsFor,
  notifyJobId,
  redisConnection,
  type Queues,
} from './queues';

describe('queues', () => {
  let fx: RedisFixture;
  let queues: Queues;
  beforeEach(async () => {
    fx = await createRedisFixture('queues');
    queues = createQueues(redisConnection(fx.redisUrl), fx.prefix, { notify: { attempts: 2 } });
  });
  afterEach(async () => {
    await queues.close();
    await fx.cleanup();
  });

  it('job ids: deterministic per run, event and URL, free of ":" and of the URL', () => {
    const a = notifyJobId('run-abc', 'report.delivered', 'https://hooks.slack.com/services/T/B/X');
    expect(a).toBe(
      `run-abc.report.delivered.${notifyTargetHash('https://hooks.slack.com/services/T/B/X')}`,
    );
    expect(a).toMatch(/^run-abc\.report\.delivered\.[0-9a-f]{16}$/);
    expect(a).not.toContain(':');
    expect(
      notifyJobId('run-abc', 'report.delivered', 'https://hooks.slack.com/services/T/B/X'),
    ).toBe(a);
    expect(notifyJobId('run-abc', 'report.delivered', 'https://example.com/other')).not.toBe(a);
    expect(
      notifyJobId('run-abc', 'report.failed', 'https://hooks.slack.com/services/T/B/X'),
    ).not.toBe(a);
  });

  it('merges overrides over the catalog job options', () => {
    expect(jobOptionsFor('warehouse')).toMatchObject({
      attempts: 17,
      backoff: { type: 'exponential', delay: 2_000 },
    });
    expect(
      jobOptionsFor('warehouse', {
        warehouse: { attempts: 3, backoff: { type: 'fixed', delay: 10 } },
      }),
    ).toMatchObject({
      attempts: 3,
      backoff: { type: 'fixed', delay: 10 },
      removeOnFail: { age: 30 * 24 * 3600, count: 50_000 },
    });
  });

  it('adds one notify job per URL, once per run and event, under the prefix', async () => {
    const { runId, report } = sampleReport();
    const urls = [
      'http://127.0.0.1:1/services/T1/B1/secret-a',
      'http://127.0.0.1:1/services/T2/B2/secret-b',
    ];
    const notification = buildNotification({ event: 'report.delivered', runId, report });
    const ids = await enqueueNotifications(queues.notify, urls, notification);
    expect(await enqueueNotifications(queues.notify, urls, notification)).toEqual(ids);
    expect(await enqueueNotifications(queues.notify, [], notification)).toEqual([]);
    expect(await queues.notify.count()).toBe(2);
    const job = await queues.notify.getJob(ids[0] ?? '');
    // The job names its URL by position and hash; the URL (a Slack token) is nowhere in Redis.
    expect(job?.data).toEqual({
      target: { index: 0, hash: notifyTargetHash(urls[0] ?? '') },
      notification,
    });
    expect(job?.opts.attempts).toBe(2);
    for (const id of ids) {
      const raw = JSON.stringify(await fx.redis.hgetall(`${fx.prefix}:notify:${id}`));
      expect(raw).toContain('"target\\":{');
      for (const url of urls) {
        expect(raw).not.toContain(url);
        expect(raw).not.toContain(new URL(url).pathname);
        expect(id).not.toContain(new URL(url).pathname);
      }
    }
    const keys = await fx.redis.keys(`*${runId}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.startsWith(`${fx.prefix}:notify:`)).toBe(true);
  });

  it('validates before adding', async () => {
    const { runId, report } = sampleReport();
    await expect(
      enqueueWarehouse(queues.warehouse, { runId, report: { ...report, reportId: 'nope' } }),
    ).rejects.toThrow();
    // A report id not derived from the run is refused too.
    await expect(
      enqueueWarehouse(queues.warehouse, { runId, report: { ...report, reportId: 'rpt-other' } }),
    ).rejects.toThrow(/not the report id of the job's run/);
    expect(await enqueueWarehouse(queues.warehouse, { runId, report })).toBe(report.reportId);
    expect((await queues.warehouse.getJob(report.reportId))?.opts.attempts).toBe(17);
  });
});
