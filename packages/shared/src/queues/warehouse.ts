import * as v from 'valibot';
import { reportIdFor } from '../ids';
import { ReportSchema } from '../report';
import { retention } from './common';
import type { DefaultJobOptions } from './job-options';

export const WAREHOUSE_QUEUE = 'warehouse';

/**
 * Write one report and confirm it. Job id = reportId (a replay's: `${reportId}-${replay job id}`;
 * a final re-check's: finalWriteJobId). The report must be the run's own (its id derived from the
 * runId); the processor also requires the run to exist with the report's campaign.
 */
export const WarehouseJobSchema = v.pipe(
  v.object({
    runId: v.string(),
    report: ReportSchema,
    /**
     * A final re-check's write only: the revision it re-checked. The run is not moved (it was
     * delivered already); `report.revised` goes out when a figure differs from this one.
     */
    revises: v.optional(ReportSchema),
  }),
  v.forward(
    v.check(
      (job) => job.report.reportId === reportIdFor(job.runId),
      "is not the report id of the job's run",
    ),
    ['report', 'reportId'],
  ),
  v.forward(
    v.check(
      (job) =>
        job.revises === undefined ||
        (job.revises.reportId === job.report.reportId &&
          (job.revises.revision ?? 1) < (job.report.revision ?? 1)),
      'is not an earlier revision of the same report',
    ),
    ['revises'],
  ),
);
export type WarehouseJob = v.InferOutput<typeof WarehouseJobSchema>;

/** The write of a final re-check's revision: one job per report and revision. */
export const finalWriteJobId = (reportId: string, revision: number) => `${reportId}-r${revision}`;

/** Exponential from 2 s: 17 attempts span about 36 hours, for a warehouse down that long. */
export const warehouseJobOptions: DefaultJobOptions = {
  attempts: 17,
  backoff: { type: 'exponential', delay: 2_000, jitter: 0.2 },
  ...retention,
};
