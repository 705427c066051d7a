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
  Fence,
} from './run-store';
export type { StoredRun, StagePatch } from './record';
export { runKeys } from './keys';
export type { RunKeys } from './keys';
export { prepareAdd, checkPrepareAdd, ADD_STANDARD_JOB } from './bullmq-add';
export type { PreparedAdd } from './bullmq-add';
export { replayJobId } from './job-ids';
export {
  acceptEvent,
  DEFAULT_EVENT_HORIZON,
  DEFAULT_MAX_WINDOW_DAYS,
  type AcceptDeps,
  type AcceptOptions,
  type AcceptOutcome,
  type EventTimes,
} from './accept';
export { jobFromEvent, jobFromRun, prepareAnalyticsAdd, enqueueAnalytics } from './analytics-job';
export { eventIdFor } from './event-id';
export { RedisUnavailable, viaRedis, isRedisFailure } from './redis-failure';
