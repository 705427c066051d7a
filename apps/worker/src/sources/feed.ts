import type { Redis } from 'ioredis';

/**
 * The campaign feed: whoever lists campaigns (the reconciliation sweep) publishes their ids here,
 * and the Notification API listener, in whichever worker process holds the lease, subscribes the
 * ones it does not have yet. A Redis pub/sub channel: a listener that is down misses nothing it
 * needs, because it lists every campaign itself when it takes the lease.
 */
export const campaignFeedChannel = (prefix: string) => `${prefix}:events:campaigns`;

/** Publishes campaign ids (a JSON array) to the feed; answers how many listeners received it. */
export function publishCampaigns(redis: Redis, prefix: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return Promise.resolve(0);
  return redis.publish(campaignFeedChannel(prefix), JSON.stringify(ids));
}

/** The ids in one feed message; anything else on the channel is ignored. */
export function readCampaignFeed(message: string): string[] {
  try {
    const value: unknown = JSON.parse(message);
    return Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}
