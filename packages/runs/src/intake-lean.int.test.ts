import type { JobsOptions } from 'bullmq';
import { Command } from 'ioredis';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  AnalyticsJobSchema,
  analyticsJobOptions,
  runIdFor,
  type CampaignFinished,
} from '@wrapup/shared';
import { addTemplate, prepareAdd } from './bullmq-add';
import { jobFromEvent, prepareAnalyticsAdd } from './analytics-job';
import { IntakeCommand, RunStore } from './run-store';
import { finishAt, finishInput, useIntakeHarness } from './testing/intake';

const h = useIntakeHarness('intake-lean');
const opts = analyticsJobOptions as JobsOptions;

/** The packed BullMQ arguments with the timestamp (the only per-call difference) left out. */
const withoutTimestamp = (packed: string | Buffer | undefined) => {
  if (!Buffer.isBuffer(packed)) throw new Error('the packed arguments are not a Buffer');
  // [prefix, jobId, name, timestamp (float64: 0xcb + 8 bytes), ...]: the timestamp's bytes masked
  const at = packed.indexOf(0xcb);
  expect(at).toBeGreaterThan(0);
  return Buffer.concat([packed.subarray(0, at + 1), Buffer.alloc(8), packed.subarray(at + 9)]);
};

describe('the analytics add template', () => {
  it('builds byte for byte what prepareAdd builds, job after job', () => {
    const add = addTemplate(h.queue, 'run', opts);
    for (const [n, jobId] of ['run-a', 'run-b', `run-${'f'.repeat(60)}`].entries()) {
      const data = { runId: jobId, n, text: 'é "quoted"' };
      const fast = add(data, jobId);
      const slow = prepareAdd(h.queue, 'run', data, { ...opts, jobId });
      expect(fast.jobId).toBe(slow.jobId);
      expect(fast.keys).toEqual(slow.keys);
      expect(fast.args).toHaveLength(slow.args.length);
      expect(withoutTimestamp(fast.args[0])).toEqual(withoutTimestamp(slow.args[0]));
      expect(fast.args[1]).toBe(slow.args[1]);
      expect(fast.args[2]).toEqual(slow.args[2]);
    }
  });

  it("still runs BullMQ's jobId checks for every job", () => {
    const add = addTemplate(h.queue, 'run', opts);
    expect(() => add({}, '42')).toThrow(/cannot be integers/);
    expect(() => add({}, 'a:b')).toThrow(/cannot contain :/);
    expect(() => add({}, '0:x')).toThrow(/cannot be '0'/);
    expect(add({}, 'run-ok').jobId).toBe('run-ok');
  });

  it('falls back to prepareAdd for options it cannot template (a fixed timestamp)', () => {
    const fixed = { ...opts, timestamp: 1_700_000_000_000 };
    const add = addTemplate(h.queue, 'run', fixed);
    const slow = prepareAdd(h.queue, 'run', { a: 1 }, { ...fixed, jobId: 'run-t' });
    expect(add({ a: 1 }, 'run-t')).toEqual(slow);
  });

  it('the intake writes with it exactly the job queue.add writes', async () => {
    const i = finishInput({ durationSeconds: 600, contactCount: 20, shape: 'guide' });
    const runId = runIdFor(i.campaignId, i.occurredAt);
    const event = {
      campaignId: i.campaignId,
      status: 'completed',
      occurredAt: i.occurredAt,
      durationSeconds: 600,
      contactCount: 20,
      senderEventId: undefined,
      shape: 'guide',
      campaignName: undefined,
    } satisfies CampaignFinished & { status: 'completed' };
    const job = jobFromEvent(event, { runId, eventId: i.eventId }, undefined, i.now);
    expect(await h.store.intake(i, prepareAnalyticsAdd(h.queue, job, runId))).toEqual({
      outcome: 'new',
      runId,
      jobId: runId,
    });
    const refId = `${runId}-ref`;
    await h.queue.add('run', job, { ...opts, jobId: refId });
    const key = (id: string) => `${h.fx.prefix}:analytics:${id}`;
    const mine = await h.fx.redis.hgetall(key(runId));
    const ref = await h.fx.redis.hgetall(key(refId));
    // the packed options hold the jobId: compare them with it swapped back
    const swap = (s: string) => s.replaceAll(refId, runId);
    expect(Object.keys(mine).sort()).toEqual(Object.keys(ref).sort());
    expect({ ...mine, timestamp: 'x' }).toEqual({
      ...ref,
      opts: swap(ref.opts ?? ''),
      timestamp: 'x',
    });
    expect((await h.queue.getJob(runId))?.data).toEqual(job);
  });
});

describe('the intake command', () => {
  it('is written byte for byte as ioredis writes the same command', () => {
    const cases: (string | number | Buffer)[][] = [
      [
        'sha',
        2,
        'k:1',
        'k:é',
        'x',
        '',
        12.5,
        Buffer.from([0xde, 0, 0xcb]),
        '{"a":"ü"}',
        Buffer.alloc(0),
        7,
      ],
      ['sha', 0, 'only', 'strings', ''],
      ['sha', 1, Buffer.from('first'), 'then text'],
    ];
    for (const args of cases) {
      for (const name of ['evalsha', 'eval']) {
        const mine = new IntakeCommand(name, args).toWritable();
        const theirs = new Command(name, args).toWritable({});
        expect(mine).toEqual(Buffer.isBuffer(theirs) ? theirs : Buffer.from(theirs));
      }
    }
  });

  it('sends the script itself when Redis answers NOSCRIPT, then runs it', async () => {
    const redis = h.fx.redis.duplicate();
    await redis.ping();
    try {
      const sent: string[] = [];
      const send = redis.sendCommand.bind(redis);
      redis.sendCommand = (command, stream) => {
        if (command.name.startsWith('eval')) sent.push(command.name);
        if (command.name === 'evalsha' && sent.length === 1) {
          // as a Redis that restarted (or had its scripts flushed) answers
          command.reject(new Error('NOSCRIPT No matching script. Please use EVAL.'));
          return command.promise as Promise<unknown>;
        }
        return send(command, stream);
      };
      const store = new RunStore(redis, {
        prefix: h.fx.prefix,
        dedupeTtlSeconds: 3600,
        retentionSeconds: 3600,
        startTtlSeconds: 3600,
      });
      expect((await store.intake(finishInput({ eventId: 'evt-ns' }))).outcome).toBe('new');
      expect((await store.intake(finishInput({ eventId: 'evt-ns' }))).outcome).toBe('duplicate');
      expect(sent).toEqual(['evalsha', 'eval', 'evalsha']);
    } finally {
      redis.disconnect();
    }
  });
});

describe('jobFromEvent', () => {
  it('is what the schema would parse, field order included', () => {
    const base = {
      campaignId: 'camp-1',
      status: 'completed' as const,
      occurredAt: '2024-05-01T10:00:00.000Z',
      senderEventId: undefined,
      campaignName: undefined,
    };
    const cases = [
      { ...base, durationSeconds: 600, contactCount: 20, shape: 'guide' as const },
      { ...base, durationSeconds: undefined, contactCount: 3, shape: 'eventbridge' as const },
      { ...base, durationSeconds: 0, contactCount: undefined, shape: 'notification' as const },
    ];
    for (const e of cases) {
      for (const startedAt of [undefined, '2024-05-01T09:00:00.000Z']) {
        const job = jobFromEvent(e, { runId: 'run-1', eventId: 'evt-1' }, startedAt, 'now');
        const parsed = v.parse(AnalyticsJobSchema, { ...job });
        expect(job).toEqual(parsed);
        expect(JSON.stringify(job)).toBe(JSON.stringify(parsed));
        if (e.durationSeconds === undefined && startedAt) expect(job.startedAt).toBe(startedAt);
        else expect(job).not.toHaveProperty('startedAt');
      }
    }
  });
});

describe("the campaign's run index", () => {
  const index = (campaignId: string) => h.fx.redis.zcard(h.store.keys.campaign(campaignId));
  const counted = (campaignId: string) => h.fx.redis.hget(h.store.keys.state(campaignId), 'runs');
  /** The n-th finish of a campaign, far enough apart that each starts a run of its own. */
  const nth = (campaignId: string, n: number) =>
    finishAt(`evt-${n}`, new Date(Date.UTC(2024, 4, 1) + n * 120_000).toISOString(), {
      campaignId,
      now: new Date(Date.UTC(2024, 4, 1) + n * 120_000 + 1_000).toISOString(),
    });

  it('keeps the newest 500 runs, trimmed only when the count passes the bound', async () => {
    for (let n = 0; n < 502; n++) {
      expect((await h.store.intake(nth('camp-many', n))).outcome).toBe('new');
    }
    expect(await index('camp-many')).toBe(500);
    expect(await counted('camp-many')).toBe('500');
    const ids = await h.fx.redis.zrange(h.store.keys.campaign('camp-many'), 0, 0);
    expect(ids).toEqual([runIdFor('camp-many', nth('camp-many', 2).occurredAt)]);
  });

  it('counts a new campaign from its first run, and an index from before the count once', async () => {
    await h.store.intake(nth('camp-new', 0));
    expect(await counted('camp-new')).toBe('1');
    expect(await index('camp-new')).toBe(1);

    // a state without the count (written before it was kept) and an index of 3 runs
    const old = 'camp-old';
    for (let n = 0; n < 3; n++) await h.store.intake(nth(old, n));
    await h.fx.redis.hdel(h.store.keys.state(old), 'runs');
    await h.store.intake(nth(old, 3));
    expect(await counted(old)).toBe('4');
    expect(await index(old)).toBe(4);
  });

  it('still looks a later run up in the index once the campaign has runs', async () => {
    const first = await h.intake(nth('camp-later', 5));
    expect(first.outcome).toBe('new');
    await h.store.setStage(first.runId, 'delivered', {
      reportId: 'rpt-x',
      observedCount: 1,
      expectedCount: null,
    });
    // an earlier copy of that finish, arriving after it was reported (no run in flight)
    const at = new Date(Date.parse(nth('camp-later', 5).occurredAt) - 30_000).toISOString();
    const earlier = await h.intake(finishAt('evt-early', at, { campaignId: 'camp-later' }));
    expect(earlier).toMatchObject({
      outcome: 'duplicate',
      reason: 'already-reported',
      runId: first.runId,
    });
  });
});
