export { RunStore } from './run-store';
export type {
  RunStoreOptions,
  IntakeInput,
  IntakeResult,
  DuplicateReason,
  IgnoredReason,
  CampaignState,
  RecordStatusResult,
  StageStep,
  SetStageOptions,
} from './run-store';
export type { StoredRun, StagePatch } from './record';
export { runKeys } from './keys';
export type { RunKeys } from './keys';
export { prepareAdd, checkPrepareAdd, ADD_STANDARD_JOB } from './bullmq-add';
export type { PreparedAdd } from './bullmq-add';
export { replayJobId } from './job-ids';
