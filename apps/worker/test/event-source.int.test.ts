import { afterEach, describe, expect, it } from 'vitest';
import { spawnTs, waitFor, type AppProcess } from '@wrapup/shared/testing';
import type { WorkerRuntime } from '../src';
import { publishCampaigns } from '../src/sources/feed';
import { leaseKey } from '../src/sources/lease';
import { campaignTopic } from '../src/sources/notification-source';
import type { Pipeline } from '../src/testing/harness';
import {
  leadersOf,
  startListenerPipeline,
  startListenerRuntime,
  waitForReport,
  waitForSubscribed,
} from '../src/testing/event-source';

const WORKER_MAIN = new URL('../src/main.ts', import.meta.url).pathname;
/** A campaign run that reports quickly on the simulator. */
const RUN = { durationSeconds: 2, avgHandleMs: 1_500 } as const;

/**
 * GENESYS_EVENT_SOURCE=websocket: no ingest runs and nothing posts to a webhook; every report
 * below comes from the worker's own Notification API listener on the simulator's real WebSockets.
 */
describe('the built-in Notification API listener', () => {
  let p: Pipeline | undefined;
  let runtimes: WorkerRuntime[] = [];
  let procs: AppProcess[] = [];
  afterEach(async () => {
    await Promise.all(procs.map((w) => w.kill('SIGKILL')));
    await Promise.all(runtimes.map((r) => r.close(3_000).catch(() => undefined)));
    procs = [];
    runtimes = [];
    await p?.close();
    p = undefined;
  });

  const listener = async (pipeline: Pipeline) => {
    const r = await startListenerRuntime(pipeline);
    runtimes.push(r);
    return r;
  };
  const status = (r: WorkerRuntime) => {
    const s = r.eventSource?.status();
    if (!s) throw new Error('the runtime runs no event source');
    return s;
  };
  /** The listener has taken the lease and caught up (every campaign's state recorded). */
  const caughtUp = (r: WorkerRuntime, n = 1) =>
    waitFor(() => status(r).counts.catchUps >= n, { timeoutMs: 15_000, what: 'a catch-up' });

  /** A new campaign of `contactCount`, and a listener on `pipe` subscribed to it and caught up. */
  const listenToNewCampaign = async (pipe: Pipeline, contactCount = 10) => {
    const c = await pipe.sim.createCampaign({ contactCount });
    const w = await listener(pipe);
    await waitForSubscribed(pipe.sim, [c.id]);
    await caughtUp(w);
    return { c, w };
  };

  it('turns a simulated finish into a delivered report, with nothing posting to the webhook', async () => {
    p = await startListenerPipeline();
    const { c, w } = await listenToNewCampaign(p, 20);

    await p.sim.runToCompletion(c.id, RUN);
    const run = await waitForReport(p, c.id);
    expect(run.stage).toBe('delivered');
    expect(run.shape).toBe('notification');
    expect((await p.rows()).map((r) => r.campaign_id)).toEqual([c.id]);
    expect(status(w)).toMatchObject({ leader: true, channels: 1, topics: 1, connected: 1 });
    expect(status(w).counts.accepted).toBe(1);
    // `.progress` came along with every copy and started nothing
    const [channel] = await p.sim.notifications();
    expect(channel?.topics).toEqual([campaignTopic(c.id)]);
  });

  it('two worker runtimes: exactly one listens, and each finish is accepted once', async () => {
    p = await startListenerPipeline({ leaseMs: 1_000 });
    const c = await p.sim.createCampaign({ contactCount: 10 });
    const a = await listener(p);
    const b = await listener(p);
    await waitForSubscribed(p.sim, [c.id]);
    // over three lease periods, never two leaders, and one channel with one socket ever made
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      expect(leadersOf([a, b]).length).toBeLessThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(leadersOf([a, b])).toHaveLength(1);
    const channels = await p.sim.notifications();
    expect(channels).toHaveLength(1);
    expect(channels[0]).toMatchObject({ connected: true, connections: 1 });

    await p.sim.runToCompletion(c.id, RUN);
    expect((await waitForReport(p, c.id)).stage).toBe('delivered');
    expect(status(a).counts.accepted + status(b).counts.accepted).toBe(1);
    expect(await p.runs.listForCampaign(c.id)).toHaveLength(1);
  });

  it('SIGKILL of the leader process: another takes over within the lease and reports a finish from the hand-over', async () => {
    const leaseMs = 1_500;
    p = await startListenerPipeline({ leaseMs });
    const inGap = await p.sim.createCampaign({ contactCount: 10 });
    const after = await p.sim.createCampaign({ contactCount: 10 });
    const leader = spawnTs(WORKER_MAIN, p.env);
    procs.push(leader);
    await waitForSubscribed(p.sim, [inGap.id, after.id], 30_000);
    // the child leads: the in-process runtime waits
    const standby = await listener(p);
    await new Promise((r) => setTimeout(r, leaseMs));
    expect(status(standby).leader).toBe(false);

    await leader.kill('SIGKILL');
    const killedAt = Date.now();
    // published while no listener is connected: sockets are not durable, so only the new
    // leader's catch-up (a listing read once its sockets are open) can see this finish
    await p.sim.runToCompletion(inGap.id, RUN);
    await waitFor(() => status(standby).leader, { timeoutMs: 5_000, what: 'the hand-over' });
    const tookMs = Date.now() - killedAt;
    // within the lease (EVENT_SOURCE_LEASE_MS): the dead holder's key lives 5/6 of it after its
    // last renewal and the standby looks every sixth (plus scheduling slack)
    expect(tookMs).toBeLessThan(leaseMs + 300);

    expect((await waitForReport(p, inGap.id)).stage).toBe('delivered');
    await waitForSubscribed(p.sim, [after.id]);
    await p.sim.runToCompletion(after.id, RUN);
    expect((await waitForReport(p, after.id)).stage).toBe('delivered');
    expect(status(standby).counts.accepted).toBe(2);
    expect(status(standby).counts.catchUps).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('an expired channel is re-created and re-subscribed, and the next finish is reported', async () => {
    p = await startListenerPipeline();
    const c = await p.sim.createCampaign({ contactCount: 10 });
    const w = await listener(p);
    const [first] = await waitForSubscribed(p.sim, [c.id]);
    await caughtUp(w);

    expect(await p.sim.expireChannels()).toBe(1);
    const channels = await waitFor(
      async () => {
        const live = await p!.sim.notifications();
        return live.some((ch) => ch.connected && ch.id !== first?.id) ? live : undefined;
      },
      { timeoutMs: 10_000, what: 'a new channel' },
    );
    expect(channels.map((ch) => ch.id)).not.toContain(first?.id);
    expect(channels[0]?.topics).toEqual([campaignTopic(c.id)]);
    expect(status(w).counts.channelsCreated).toBe(2);

    await p.sim.runToCompletion(c.id, RUN);
    expect((await waitForReport(p, c.id)).stage).toBe('delivered');
  });

  it('a socket-closing notice: a new channel and socket before the old one closes, no finish lost', async () => {
    p = await startListenerPipeline({ sim: { socketClosingGraceMs: 2_000 } });
    const during = await p.sim.createCampaign({ contactCount: 10 });
    const later = await p.sim.createCampaign({ contactCount: 10 });
    const w = await listener(p);
    const [old] = await waitForSubscribed(p.sim, [during.id, later.id]);
    await caughtUp(w);

    expect(await p.sim.sendSocketClosing()).toBe(1);
    // right after the notice, while the old socket still has its grace period
    await p.sim.runToCompletion(during.id, RUN);
    const moved = await waitFor(
      async () => {
        const live = await p!.sim.notifications();
        const next = live.find((ch) => ch.id !== old?.id && ch.connected);
        const stale = live.find((ch) => ch.id === old?.id);
        return next && !stale?.connected ? next : undefined;
      },
      { timeoutMs: 10_000, what: 'the move to a new channel' },
    );
    expect([...moved.topics].sort()).toEqual(
      [campaignTopic(during.id), campaignTopic(later.id)].sort(),
    );
    expect(status(w)).toMatchObject({ channels: 1, topics: 2, connected: 1 });

    await p.sim.runToCompletion(later.id, RUN);
    expect((await waitForReport(p, during.id)).stage).toBe('delivered');
    expect((await waitForReport(p, later.id)).stage).toBe('delivered');
    // the move opened no gap, so no catch-up was needed for it
    expect(status(w).counts.catchUps).toBe(1);
  });

  it('spreads the campaigns over channels of at most NOTIFICATION_TOPICS_PER_CHANNEL topics', async () => {
    // the simulator refuses a third topic on a channel with a 400, as the platform does past 1,000
    p = await startListenerPipeline({
      sim: { notificationTopicLimit: 2 },
      env: { NOTIFICATION_TOPICS_PER_CHANNEL: '2' },
    });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await p.sim.createCampaign({ contactCount: 5 })).id);
    const w = await listener(p);
    const channels = await waitForSubscribed(p.sim, ids);
    expect(channels.map((ch) => ch.topics.length).sort()).toEqual([1, 2, 2]);
    expect(channels.every((ch) => ch.connected)).toBe(true);
    expect(status(w)).toMatchObject({ channels: 3, topics: 5, connected: 3 });
    // one more from the feed fills the channel with room; the next needs a fourth channel
    const six = await p.sim.createCampaign({ contactCount: 5 });
    const seven = await p.sim.createCampaign({ contactCount: 5 });
    await publishCampaigns(p.redis.redis, p.redis.prefix, [six.id, seven.id]);
    const after = await waitForSubscribed(p.sim, [...ids, six.id, seven.id]);
    expect(after.map((ch) => ch.topics.length).sort()).toEqual([1, 2, 2, 2]);

    await p.sim.runToCompletion(seven.id, RUN);
    expect((await waitForReport(p, seven.id)).stage).toBe('delivered');
  });

  it('subscribes a campaign published on the campaign feed', async () => {
    p = await startListenerPipeline();
    const w = await listener(p);
    await caughtUp(w);
    expect(status(w)).toMatchObject({ leader: true, channels: 0, topics: 0 });

    const c = await p.sim.createCampaign({ contactCount: 10 });
    expect(await publishCampaigns(p.redis.redis, p.redis.prefix, [c.id])).toBeGreaterThanOrEqual(1);
    await waitForSubscribed(p.sim, [c.id]);
    await p.sim.runToCompletion(c.id, RUN);
    expect((await waitForReport(p, c.id)).stage).toBe('delivered');
    expect(status(w)).toMatchObject({ channels: 1, topics: 1, connected: 1 });
  });

  it('reconnects a socket that goes silent past the heartbeat timeout, and catches up', async () => {
    p = await startListenerPipeline();
    const { c, w } = await listenToNewCampaign(p);

    // no heartbeat for a minute: the listener (1 s timeout) gives the socket up and reconnects
    await p.sim.setFaults({ notificationHeartbeatMs: 60_000 });
    await waitFor(async () => ((await p!.sim.notifications())[0]?.connections ?? 0) >= 2, {
      timeoutMs: 10_000,
      what: 'a reconnection',
    });
    await p.sim.setFaults({ notificationHeartbeatMs: 200 });
    // a cut with a finish in it: the reconnect's catch-up reports it
    await p.sim.setSocketsRefused(true);
    await p.sim.dropSockets();
    await p.sim.runToCompletion(c.id, RUN);
    await new Promise((r) => setTimeout(r, 300));
    await p.sim.setSocketsRefused(false);
    expect((await waitForReport(p, c.id)).stage).toBe('delivered');
    expect(status(w).counts.catchUps).toBeGreaterThanOrEqual(2);
    expect(status(w).counts.channelsCreated).toBe(1);
  });

  it('a lost lease stops forwarding at once: the write is fenced, sockets close, the next holder reports', async () => {
    // a long lease: renewals every 10 s, so the intruder below is found by the write, not a renewal
    p = await startListenerPipeline({ leaseMs: 30_000 });
    const { c, w } = await listenToNewCampaign(p);
    await waitFor(async () => (await p!.runs.campaignState(c.id)).status === 'on', {
      what: 'the campaign state recorded',
    });

    const key = leaseKey(p.redis.prefix);
    await p.redis.redis.set(key, 'intruder', 'PX', 60_000);
    await p.sim.runToCompletion(c.id, RUN);
    await waitFor(() => status(w).counts.fenced >= 1, { timeoutMs: 5_000, what: 'a fenced write' });
    expect(status(w).leader).toBe(false);
    await waitFor(async () => (await p!.sim.notifications()).every((ch) => !ch.connected), {
      timeoutMs: 2_000,
      what: 'every socket closed',
    });
    expect(await p.runs.listForCampaign(c.id)).toEqual([]);
    expect(await p.redis.redis.get(key)).toBe('intruder');

    // the intruder goes: this process takes the lease again and its catch-up reports the finish
    await p.redis.redis.del(key);
    await waitFor(() => status(w).leader, { timeoutMs: 10_000, what: 'the lease again' });
    expect((await waitForReport(p, c.id)).stage).toBe('delivered');
    expect(status(w).counts.accepted).toBe(1);
  }, 60_000);
});
