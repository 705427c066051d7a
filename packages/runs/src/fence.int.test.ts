import { describe, expect, it } from 'vitest';
import { acceptEvent, type AcceptDeps, type Fence } from './index';
import { finishInput, useIntakeHarness } from './testing/intake';

const h = useIntakeHarness('fence');

/** A lease key holding `token`, as the worker's Notification API listener keeps it. */
async function lease(token: string): Promise<Fence> {
  const key = `${h.fx.prefix}:events:lease`;
  await h.fx.redis.set(key, token, 'PX', 60_000);
  return { key, token };
}

/** A Notification API message for campaign `id` in `status` (the campaign copy). */
const notification = (id: string, status: string, version: number) => ({
  topicName: `v2.outbound.campaigns.${id}`,
  version: '2',
  eventBody: {
    id,
    name: `Campaign ${id}`,
    campaignStatus: status,
    version,
    dateModified: '2024-05-01T10:00:00.000Z',
  },
  metadata: { CorrelationId: `corr-${id}-${version}` },
});

const acceptDeps = (): AcceptDeps => ({
  runs: h.store,
  analytics: h.queue,
  triggerStatuses: ['completed', 'stopped'],
  eventTimezone: 'UTC',
  now: () => Date.parse('2024-05-01T10:00:01.000Z'),
});

describe('fenced writes (issue 15: the listener lease checked with the write)', () => {
  it('intake with the lease held writes; with the lease gone or taken over writes nothing', async () => {
    const fence = await lease('7');
    const first = await h.store.intake(finishInput({ fence }));
    expect(first).toMatchObject({ outcome: 'new' });

    // a new leader took the lease (a higher token): the old holder is fenced
    await h.fx.redis.set(fence.key, '8');
    const late = finishInput({ eventId: 'evt-2', campaignId: 'camp-2', fence });
    expect(await h.store.intake(late)).toEqual({
      outcome: 'fenced',
      runId: expect.any(String) as string,
    });
    expect(await h.store.listForCampaign('camp-2')).toEqual([]);
    expect(await h.fx.redis.exists(h.store.keys.event('camp-2', 'evt-2'))).toBe(0);
    expect(await h.fx.redis.exists(h.store.keys.state('camp-2'))).toBe(0);

    // the lease expired (no key at all): fenced too
    await h.fx.redis.del(fence.key);
    expect((await h.store.intake(late)).outcome).toBe('fenced');
    // without a fence the same event goes in
    expect((await h.store.intake({ ...late, fence: undefined })).outcome).toBe('new');
  });

  it('recordStatus with the lease held records; without it answers fenced and writes nothing', async () => {
    const fence = await lease('3');
    expect(await h.store.recordStatus('camp-1', 'on', '2024-05-01T09:00:00.000Z', { fence })).toBe(
      'recorded',
    );
    expect((await h.store.campaignState('camp-1')).status).toBe('on');

    await h.fx.redis.set(fence.key, '4');
    expect(
      await h.store.recordStatus('camp-1', 'stopping', '2024-05-01T09:30:00.000Z', { fence }),
    ).toBe('fenced');
    expect((await h.store.campaignState('camp-1')).status).toBe('on');
  });

  it('acceptEvent with a fence: accepted while held (job added), fenced once lost (no job)', async () => {
    const fence = await lease('11');
    const deps = acceptDeps();
    expect(await acceptEvent(deps, notification('c-a', 'on', 1), { fence })).toMatchObject({
      kind: 'ignored',
      campaignId: 'c-a',
    });
    const done = await acceptEvent(deps, notification('c-a', 'complete', 2), { fence });
    expect(done).toMatchObject({ kind: 'accepted', campaignId: 'c-a' });
    if (done.kind !== 'accepted') throw new Error('unreachable');
    expect(await h.queue.getJob(done.jobId)).toBeDefined();

    await h.fx.redis.set(fence.key, '12');
    expect(await acceptEvent(deps, notification('c-b', 'on', 1), { fence })).toEqual({
      kind: 'fenced',
    });
    expect(await acceptEvent(deps, notification('c-b', 'complete', 2), { fence })).toEqual({
      kind: 'fenced',
    });
    expect(await h.store.listForCampaign('c-b')).toEqual([]);
    expect(await h.queue.getJobCounts()).toMatchObject({ waiting: 1 });
  });
});
