/** BullMQ's own type for a queue's default job options (type-only: shared ships no bullmq code). */
export type { DefaultJobOptions } from 'bullmq';
