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
  RecentQuery,
  RecentPage,
} from './run-store';
export type { StoredRun, StagePatch } from './record';
export {
  summarize,
  encodeReportCopy,
  decodeReportCopy,
  MAX_REPORT_COPY_BYTES,
  type RunSummary,
  type ReportCopy,
} from './report-copy';
export { MAX_RECENT_RUNS } from './intake.lua';
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
export {
  redisTopology,
  keyLayout,
  isCluster,
  asCluster,
  pingAll,
  type RedisTopology,
  type KeyLayout,
  type ConnectionRole,
} from './redis-topology';
