/** The subset of BullMQ's job options the catalog sets (kept here so shared has no bullmq dependency). */
export interface DefaultJobOptions {
  attempts?: number;
  backoff?: { type: 'exponential' | 'fixed'; delay: number; jitter?: number };
  removeOnComplete?: boolean | number | { age?: number; count?: number };
  removeOnFail?: boolean | number | { age?: number; count?: number };
}
