export { createApp, type AppDeps, type IngestApps } from './app';
export { createIngest, type Ingest, type IngestOptions } from './ingest';
export {
  serveApp,
  serveIngest,
  TLS_MIN_VERSION,
  type RunningServer,
  type RunningIngest,
  type ServeOptions,
  type TlsFiles,
} from './serve';
export { authConfigProblem } from './auth-check';
export { createProducerConnection, closeConnection } from './redis';
export { createQueues, closeQueues, queueList, type IngestQueues } from './queues';
export { createMetrics, type IngestMetrics } from './metrics';
export { createLogger } from './logger';
export { onReload, onShutdown, type ShutdownStep } from './shutdown';
export { ingestEvent, type IngestEventDeps } from './services/ingest-event';
export { createWebhookAuth, type WebhookAuth, type WebhookAuthConfig } from './auth/webhook-auth';
export type { IngestOutcome, OutcomeKind } from './services/outcome';
export { WEBHOOK_PATH } from './routes/webhook';
