import { createLogger, loadConfigOrExit, onShutdown } from '@wrapup/shared';
import { startWorkerRuntime } from './runtime';

const config = loadConfigOrExit(process.env);
const logger = createLogger({ service: 'worker', level: config.logLevel });

try {
  const runtime = await startWorkerRuntime(config, { logger });
  logger.info(
    {
      prefix: config.queuePrefix,
      concurrency: config.workerConcurrency,
      warehouse: runtime.sink.kind,
    },
    'worker ready',
  );
  // Active jobs finish or are handed back; queues, sink and Redis close; all within SHUTDOWN_TIMEOUT_MS.
  onShutdown(runtime.closeSteps(config.shutdownTimeoutMs), {
    deadlineMs: config.shutdownTimeoutMs,
    logger,
  });
} catch (err) {
  process.stderr.write(
    `worker failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
}
