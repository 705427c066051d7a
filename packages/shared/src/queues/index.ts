export * from './analytics';
export * from './warehouse';
export * from './notify';
export * from './job-options';
export { retention } from './common';
export const QUEUE_NAMES = ['analytics', 'warehouse', 'notify'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
