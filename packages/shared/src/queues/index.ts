export * from './analytics';
export * from './warehouse';
export * from './notify';
export * from './reconcile';
export * from './job-options';
export { retention } from './common';
export const QUEUE_NAMES = ['analytics', 'warehouse', 'notify', 'reconcile'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
