export { startWorkerRuntime, type WorkerRuntime, type WorkerRuntimeOptions } from './runtime';
export { startWorkers, type StartWorkersDeps, type RunningWorkers } from './workers';
export {
  createQueues,
  redisConnection,
  enqueueNotifications,
  type Queues,
  type JobOptionOverrides,
} from './queues';
export { createLogger, type Logger } from './logger';
export { RateLimiter, measureWindows, type WindowMeasure } from './limiter';
export { createGenesysClient, type GenesysClient } from './clients/genesys/client';
export { createWarehouseSink, type WarehouseSink } from './clients/sinks/factory';
export { createAnalyticsProcessor } from './processors/analytics';
