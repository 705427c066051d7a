import type { DefaultJobOptions } from './job-options';

export const DAY_SECONDS = 24 * 3600;

/** Keep finished jobs long enough to inspect, bounded so Redis memory stays flat. */
export const retention = {
  removeOnComplete: { age: 7 * DAY_SECONDS, count: 50_000 },
  removeOnFail: { age: 30 * DAY_SECONDS, count: 50_000 },
} satisfies DefaultJobOptions;
