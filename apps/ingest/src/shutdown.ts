import type { Logger } from 'pino';

export interface ShutdownStep {
  name: string;
  run(): Promise<void>;
}

/**
 * Runs the steps in order once, on the first SIGTERM or SIGINT, then exits; if they take longer
 * than `deadlineMs` the process exits anyway (code 1).
 */
export function onShutdown(logger: Logger, deadlineMs: number, steps: ShutdownStep[]): void {
  let started = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    logger.info({ signal, deadlineMs }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    void (async () => {
      let code = 0;
      for (const step of steps) {
        try {
          await step.run();
          logger.info({ step: step.name }, 'shutdown step done');
        } catch (err) {
          code = 1;
          logger.error({ step: step.name, err: (err as Error).message }, 'shutdown step failed');
        }
      }
      clearTimeout(timer);
      process.exit(code);
    })();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/**
 * Runs `reload` on every SIGHUP (e.g. a renewed TLS certificate); a failure is logged and the
 * process keeps what it had.
 */
export function onReload(logger: Logger, what: string, reload: () => void): void {
  process.on('SIGHUP', () => {
    try {
      reload();
      logger.info({ signal: 'SIGHUP', what }, 'reloaded');
    } catch (err) {
      logger.error({ signal: 'SIGHUP', what, err: (err as Error).message }, 'reload failed; keeping the previous one');
    }
  });
}
