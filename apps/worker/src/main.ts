import { loadConfigOrExit } from '@wrapup/shared';
import { createLogger } from './logger';
import { startWorkerRuntime } from './runtime';

const config = loadConfigOrExit(process.env);
const logger = createLogger({ level: config.logLevel });

try {
  const runtime = await startWorkerRuntime(config, { logger });
  logger.info({ prefix: config.queuePrefix, concurrency: config.workerConcurrency, warehouse: runtime.sink.kind }, 'worker ready');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: finishing or handing back active jobs');
    runtime.close(config.shutdownTimeoutMs).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (err) {
  process.stderr.write(`worker failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
