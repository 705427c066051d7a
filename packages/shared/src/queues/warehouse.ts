import * as v from 'valibot';
import { ReportSchema } from '../report';
import { retention } from './common';
import type { DefaultJobOptions } from './job-options';

export const WAREHOUSE_QUEUE = 'warehouse';

/** Write one report and confirm it. Job id = reportId. */
export const WarehouseJobSchema = v.object({
  runId: v.string(),
  report: ReportSchema,
});
export type WarehouseJob = v.InferOutput<typeof WarehouseJobSchema>;

/** Exponential from 2 s: 17 attempts span about 36 hours, for a warehouse down that long. */
export const warehouseJobOptions: DefaultJobOptions = {
  attempts: 17,
  backoff: { type: 'exponential', delay: 2_000, jitter: 0.2 },
  ...retention,
};
