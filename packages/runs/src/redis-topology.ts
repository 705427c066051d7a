import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import {
  ANALYTICS_QUEUE,
  NOTIFY_QUEUE,
  RECONCILE_QUEUE,
  WAREHOUSE_QUEUE,
  type Config,
  type QueueName,
} from '@wrapup/shared';

/**
 * Where each area's keys live: the prefix it builds its keys under.
 *
 * One Redis (REDIS_CLUSTER_NODES unset): every area uses QUEUE_PREFIX itself, so the key names are
 * exactly the ones wrapup always wrote (`wrapup:analytics:wait`, `wrapup:runs:run:<id>`, ...).
 *
 * Redis Cluster: a Lua script or MULTI may only touch keys of one hash slot, so each area's
 * prefix carries a hash tag (`{...}`: only the tag is hashed) and the keys a script touches
 * together share one tag:
 * - `{analytics}`: the analytics queue (BullMQ's keys) AND the run trail (run hashes, event ids,
 *   campaign index and state, the in-flight keys, the recent-runs index, report copies, kept
 *   reports) AND the Notification API listener's lease: the intake script adds the analytics job
 *   with BullMQ's own add script, writes the run trail and checks the lease in one script; the
 *   stage script deletes a kept report with the run; a report copy is SET in a MULTI with the
 *   stage script. The listener's baseline, the reconcile sweep's baseline and the campaign feed
 *   channel follow the lease (`events`), so the sweep and the listener agree on the channel.
 * - `{warehouse}`, `{notify}`, `{reconcile}`: each other queue on its own slot (BullMQ's
 *   documented way: a braced prefix), so the queues spread over the masters; the notify marks
 *   (single-key) live with the notify queue.
 * - `{limiter}`: the shared Genesys rate limiter's three keys (one script), and the shared OAuth
 *   token with its fetch lock (single-key commands, apps/worker/src/clients/genesys/shared-token.ts).
 * - `{batch}`: the analytics batch coordinator's keys (its MULTI and MGET).
 */
export interface KeyLayout {
  /** True when the keys are hash-tagged for a Redis Cluster. */
  readonly tagged: boolean;
  /** BullMQ's `prefix` for a queue (the Queue's and its Worker's). */
  readonly queue: (name: QueueName) => string;
  /** RunStore's prefix (the run trail); equal to the analytics queue's, as the intake needs. */
  readonly runs: string;
  /** The Notification API listener's lease, its baseline and the campaign feed (and the sweep's baseline). */
  readonly events: string;
  /** The shared Genesys rate limiter (and the shared OAuth token, under `:genesys:token:`). */
  readonly limiter: string;
  /** The notify processor's sent marks. */
  readonly notifyMarks: string;
  /** The warehouse processor's kept reports: they are deleted with the run by the stage script. */
  readonly keptReports: string;
  /** The analytics batch coordinator. */
  readonly batch: string;
}

const QUEUES: readonly QueueName[] = [
  ANALYTICS_QUEUE,
  WAREHOUSE_QUEUE,
  NOTIFY_QUEUE,
  RECONCILE_QUEUE,
];

/** The key layout for QUEUE_PREFIX, hash-tagged when `cluster`. */
export function keyLayout(queuePrefix: string, cluster: boolean): KeyLayout {
  const tag = (name: string) => (cluster ? `${queuePrefix}:{${name}}` : queuePrefix);
  const queues = Object.fromEntries(QUEUES.map((q) => [q, tag(q)])) as Record<QueueName, string>;
  const analytics = queues[ANALYTICS_QUEUE];
  return {
    tagged: cluster,
    queue: (name) => queues[name],
    runs: analytics,
    events: analytics,
    limiter: tag('limiter'),
    notifyMarks: queues[NOTIFY_QUEUE],
    keptReports: analytics,
    batch: tag('batch'),
  };
}

/**
 * What a connection is for:
 * - `producer`: the ingest's; fails fast (no offline queue, one retry, a command timeout) so an
 *   outage is a 503 within a second, and reconnects by itself;
 * - `worker`: the worker's command connection (run trail, limiter, marks): waits out outages
 *   (maxRetriesPerRequest null) and auto-pipelines concurrent commands;
 * - `bullmq`: BullMQ's (queues and workers): maxRetriesPerRequest null, as BullMQ requires;
 * - `subscriber`: a pub/sub connection (waits out outages).
 */
export type ConnectionRole = 'producer' | 'worker' | 'bullmq' | 'subscriber';

export interface ProducerTimeouts {
  /** Default 1 s. */
  commandTimeoutMs?: number;
}

/** The Redis wrapup talks to: one server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES). */
export interface RedisTopology {
  readonly kind: 'single' | 'cluster';
  readonly keys: KeyLayout;
  /** For logs and error lines: the URL (without its password) or the seeds. */
  readonly printable: string;
  /**
   * A new connection for `role`. A Cluster client is typed as `Redis`: it speaks the same commands
   * (routed by slot) and every script and MULTI wrapup sends touches one slot (see KeyLayout);
   * `isCluster(client)` tells them apart where it matters (pings, closing).
   */
  connect(role: ConnectionRole, opts?: ProducerTimeouts): Redis;
}

const printableUrl = (url: string) => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured REDIS_URL';
  }
};

function roleOptions(role: ConnectionRole, opts: ProducerTimeouts): RedisOptions {
  switch (role) {
    case 'producer':
      return {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        commandTimeout: opts.commandTimeoutMs ?? 1_000,
        connectTimeout: 2_000,
        retryStrategy: (times) => Math.min(times * 100, 1_000),
      };
    case 'worker':
      return { maxRetriesPerRequest: null, enableAutoPipelining: true };
    case 'bullmq':
    case 'subscriber':
      return { maxRetriesPerRequest: null };
  }
}

/**
 * Cluster options for a role. The per-node connections get the role's options through
 * `redisOptions` (maxRetriesPerRequest there is what BullMQ checks on a Cluster); the offline
 * queue, auto-pipelining and the retry strategy are the Cluster's own. Reads go to masters
 * (`scaleReads: 'master'`): a replica may lag behind the write a script just made.
 */
function clusterOptions(role: ConnectionRole, opts: ProducerTimeouts): ClusterOptions {
  const { enableOfflineQueue, enableAutoPipelining, retryStrategy, ...node } = roleOptions(
    role,
    opts,
  );
  return {
    redisOptions: node,
    scaleReads: 'master',
    // ready only once CLUSTER INFO says cluster_state:ok
    enableReadyCheck: true,
    ...(enableOfflineQueue !== undefined && { enableOfflineQueue }),
    ...(enableAutoPipelining !== undefined && { enableAutoPipelining }),
    // the producer retries its seeds like its single connection: every <= 1 s
    clusterRetryStrategy:
      role === 'producer' && retryStrategy
        ? (times) => retryStrategy(times) ?? 1_000
        : (times) => Math.min(100 + times * 50, 2_000),
    // a slot moving (resharding, failover): retry the redirected command soon
    retryDelayOnMoved: 0,
    retryDelayOnTryAgain: 50,
    retryDelayOnClusterDown: 200,
    slotsRefreshTimeout: 2_000,
  };
}

/** The topology the config names: a Redis Cluster when REDIS_CLUSTER_NODES is set, else REDIS_URL. */
export function redisTopology(
  config: Pick<Config, 'redisUrl' | 'redisClusterNodes' | 'queuePrefix'>,
): RedisTopology {
  const seeds = config.redisClusterNodes;
  if (seeds.length > 0) {
    return {
      kind: 'cluster',
      keys: keyLayout(config.queuePrefix, true),
      printable: `the Redis Cluster ${seeds.map((s) => `${s.host}:${s.port}`).join(',')}`,
      connect: (role, opts = {}) => standIn(new Cluster(seeds, clusterOptions(role, opts))),
    };
  }
  return {
    kind: 'single',
    keys: keyLayout(config.queuePrefix, false),
    printable: printableUrl(config.redisUrl),
    connect: (role, opts = {}) => new Redis(config.redisUrl, roleOptions(role, opts)),
  };
}

/**
 * The Cluster client as the Redis-typed connection the rest of wrapup takes (see
 * RedisTopology.connect). ioredis declares Cluster and Redis as unrelated classes although both
 * are its Commander with the same command API (and `defineCommand`, `pipeline`, `multi`), so the
 * view is taken here, once, through `object`.
 */
function standIn(cluster: Cluster): Redis {
  const client: object = cluster;
  return client as Redis;
}

/** True for an ioredis Cluster client (typed as Redis by RedisTopology.connect). */
export const isCluster = (client: Redis | Cluster): boolean =>
  (client as { isCluster?: boolean }).isCluster === true;

/** The Cluster client behind a connection RedisTopology.connect typed as Redis, or undefined. */
export function asCluster(client: Redis | Cluster): Cluster | undefined {
  if (client instanceof Cluster) return client;
  return undefined;
}

/**
 * A PING that means "this Redis can serve": on a Cluster, every master must answer (a key may
 * live on any of them), and the cluster must be `ok`.
 */
export async function pingAll(client: Redis): Promise<void> {
  const cluster = asCluster(client);
  if (!cluster) {
    await client.ping();
    return;
  }
  const masters = cluster.nodes('master');
  if (masters.length === 0) throw new Error('no Redis Cluster master is connected');
  await Promise.all(masters.map((node) => node.ping()));
  const info = await cluster.cluster('INFO');
  if (!/cluster_state:ok/.test(String(info))) throw new Error('the Redis Cluster is not ok');
}
