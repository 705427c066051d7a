export { startSimulator, type Simulator } from './server';
export { createSimApp, type SimApp } from './app';
export { DEMO_CAMPAIGN_IDS } from './demo';
export {
  resolveOptions,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  type SimOptions,
  type SimSettings,
  type FaultOptions,
} from './options';
export type { SettingsPatch } from './settings';
export type {
  Control,
  CampaignView,
  RunResult,
  CopyView,
  DeliverCopyInput,
  DeliverCopyResult,
} from './control';
export type {
  CreateCampaignInput,
  CompleteOptions,
  StopOptions,
  StartOptions,
  EditOptions,
  RunOptions,
  TimeRange,
  Instant,
} from './model/campaigns';
export type { ExactOutcomes } from './model/generate';
export { SimState, SimError, type RequestLogEntry, type IssuedToken } from './model/state';
export {
  CAMPAIGN_STATUSES,
  type CampaignStatus,
  type DialingMode,
  type SimCampaign,
  type SimConversation,
  type ExpectedTotals,
  type TimerTotal,
  type CampaignCopy,
  type CopyReason,
} from './model/types';
export { METRICS, DIMENSIONS } from './analytics/catalog';
export type { AggregatesResponse, MetricStats } from './analytics/aggregate';
export { CORRELATION_HEADER } from './middleware';
export {
  NotificationHub,
  HEARTBEAT_MESSAGE,
  PONG_MESSAGE,
  SOCKET_CLOSING_TOPIC,
  type NotificationChannelView,
  type TopicMessage,
  type ChannelBody,
} from './notifications';
export { NOTIFICATION_DEFAULTS } from './options';
export {
  deliverFinish,
  postWebhook,
  buildFinishEvent,
  GUIDE_STATUSES,
  type DeliverFinishOptions,
  type DeliveryResult,
  type DeliveryAnswer,
  type FinishedCampaign,
  type SenderShape,
  type SenderAuth,
} from './sender';
export {
  runSimulation,
  type SimulationOptions,
  type SimulationResult,
  type SimulatedEvent,
} from './simulate';
export { sampleCampaign, type SampleEvent } from './sample';
