import * as v from 'valibot';
import { reportIdFor } from '../ids';
import { ReportSchema } from '../report';
import { retention } from './common';
import type { DefaultJobOptions } from './job-options';

export const WAREHOUSE_QUEUE = 'warehouse';

/**
 * Write one report and confirm it. Job id = reportId. The report must be the run's own (its id
 * derived from the runId); the processor also requires the run to exist with the report's campaign.
 */
export const WarehouseJobSchema = v.pipe(
  v.object({
    runId: v.string(),
    report: ReportSchema,
  }),
  v.forward(
    v.check(
      (job) => job.report.reportId === reportIdFor(job.runId),
      "is not the report id of the job's run",
    ),
    ['report', 'reportId'],
  ),
);
export type WarehouseJob = v.InferOutput<typeof WarehouseJobSchema>;

/** Exponential from 2 s: 17 attempts span about 36 hours, for a warehouse down that long. */
export const warehouseJobOptions: DefaultJobOptions = {
  attempts: 17,
  backoff: { type: 'exponential', delay: 2_000, jitter: 0.2 },
  ...retention,
};
