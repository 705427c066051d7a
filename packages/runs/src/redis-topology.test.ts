import { describe, expect, it } from 'vitest';
import { runKeys } from './keys';
import { keyLayout, redisTopology } from './redis-topology';

/** The hash tag Redis Cluster hashes: the first `{...}` with something inside, else the key. */
const hashed = (key: string) => {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
};

describe('keyLayout', () => {
  it('keeps every key name of one Redis exactly as before (QUEUE_PREFIX everywhere)', () => {
    const k = keyLayout('wrapup', false);
    expect(k.tagged).toBe(false);
    for (const q of ['analytics', 'warehouse', 'notify', 'reconcile'] as const)
      expect(k.queue(q)).toBe('wrapup');
    expect([k.runs, k.events, k.limiter, k.notifyMarks, k.keptReports, k.batch]).toEqual(
      Array(6).fill('wrapup'),
    );
    // BullMQ then writes `wrapup:analytics:wait`, the run store `wrapup:runs:run:<id>`
    expect(runKeys(k.runs).run('r1')).toBe('wrapup:runs:run:r1');
  });

  it('hash-tags each area on a cluster: the run trail and the lease with the analytics queue', () => {
    const k = keyLayout('acme:prod', true);
    expect(k.queue('analytics')).toBe('acme:prod:{analytics}');
    expect(k.queue('warehouse')).toBe('acme:prod:{warehouse}');
    expect(k.queue('notify')).toBe('acme:prod:{notify}');
    expect(k.queue('reconcile')).toBe('acme:prod:{reconcile}');
    expect(k.limiter).toBe('acme:prod:{limiter}');
    expect(k.batch).toBe('acme:prod:{batch}');
    const trail = runKeys(k.runs);
    const intakeKeys = [
      `${k.queue('analytics')}:analytics:wait`,
      `${k.queue('analytics')}:analytics:run-1`,
      trail.event('c:1', 'e'),
      trail.active('c:1'),
      trail.campaign('c:1'),
      trail.state('c:1'),
      trail.run('run-1'),
      trail.recent,
      trail.reportCopy('run-1'),
      `${k.keptReports}:runs:report:run-1`,
      `${k.events}:events:lease`,
      `${k.events}:events:lease:token`,
    ];
    expect(new Set(intakeKeys.map(hashed))).toEqual(new Set(['analytics']));
    expect(hashed(`${k.notifyMarks}:notify:sent:j`)).toBe('notify');
  });
});

describe('redisTopology', () => {
  it('is one Redis without REDIS_CLUSTER_NODES, a cluster with it', () => {
    const base = { redisUrl: 'redis://:pw@r:6379', queuePrefix: 'w' };
    const single = redisTopology({ ...base, redisClusterNodes: [] });
    expect(single.kind).toBe('single');
    expect(single.printable).not.toContain('pw');
    const cluster = redisTopology({
      ...base,
      redisClusterNodes: [{ host: '10.0.0.1', port: 7000 }],
    });
    expect(cluster.kind).toBe('cluster');
    expect(cluster.keys.runs).toBe('w:{analytics}');
    expect(cluster.printable).toContain('10.0.0.1:7000');
  });
});
