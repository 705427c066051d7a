/** One named piece of a shutdown: stop a listener, close workers, quit a connection. */
export interface ShutdownStep {
  name: string;
  run(): Promise<unknown> | void;
}

/** What the shutdown logs through (a pino Logger fits). */
export interface ShutdownLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface StepsOptions {
  /** For all the steps together; a step still running then is abandoned and later ones skipped. */
  deadlineMs: number;
  logger: ShutdownLog;
}

/** `done`: every step succeeded; `failed`: one threw (the later ones still ran); `deadline`. */
export type StepsOutcome = 'done' | 'failed' | 'deadline';

/** Runs the steps in order under one overall deadline, logging each; never throws. */
export async function runSteps(
  steps: readonly ShutdownStep[],
  opts: StepsOptions,
): Promise<StepsOutcome> {
  const { deadlineMs, logger } = opts;
  let current: string | undefined;
  let abandoned = false;
  let failed = false;
  const all = (async () => {
    for (const step of steps) {
      if (abandoned) return;
      current = step.name;
      const t0 = Date.now();
      try {
        await step.run();
        logger.info({ step: step.name, ms: Date.now() - t0 }, 'shutdown step done');
      } catch (err) {
        failed = true;
        logger.error({ step: step.name, err }, 'shutdown step failed');
      }
    }
    current = undefined;
  })();
  // Not unref'd: a step stuck on a promise that holds no handle must still end in `deadline`.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), deadlineMs);
  });
  const outcome = await Promise.race([all.then(() => 'finished' as const), deadline]);
  clearTimeout(timer);
  if (outcome === 'deadline') {
    abandoned = true;
    logger.error({ deadlineMs, step: current }, 'shutdown deadline passed');
    return 'deadline';
  }
  return failed ? 'failed' : 'done';
}

export interface ShutdownOptions extends StepsOptions {
  /** Defaults to `process.exit`; called once, with 0 when every step succeeded in time, else 1. */
  exit?: (code: number) => void;
  signals?: readonly NodeJS.Signals[];
  /**
   * A repeat of the signal this soon is the same one relayed (a terminal signals the whole process
   * group, and pnpm/tsx pass it on too); a later one forces the exit. Default 1 s.
   */
  sameSignalMs?: number;
}

export interface ShutdownHandle {
  /** Does what a signal does (a first call starts the shutdown, a later one forces the exit). */
  trigger(signal: string): void;
  /** Stops listening to the signals. */
  dispose(): void;
}

/**
 * On the first SIGTERM or SIGINT, runs the steps in order once under one overall deadline, then
 * exits: 0 when all succeeded, 1 when one failed or the deadline passed. A second signal exits 1
 * at once.
 */
export function onShutdown(steps: readonly ShutdownStep[], opts: ShutdownOptions): ShutdownHandle {
  const { logger, deadlineMs } = opts;
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  const sameSignalMs = opts.sameSignalMs ?? 1_000;
  let exited = false;
  const exit = (code: number) => {
    if (exited) return;
    exited = true;
    if (opts.exit) opts.exit(code);
    else process.exit(code);
  };
  let since: number | undefined;
  const trigger = (signal: string) => {
    if (since !== undefined) {
      if (Date.now() - since < sameSignalMs || exited) return;
      logger.warn({ signal }, 'signalled again: exiting without waiting');
      exit(1);
      return;
    }
    since = Date.now();
    logger.info({ signal, deadlineMs }, 'shutting down');
    void runSteps(steps, opts).then((outcome) => {
      const code = outcome === 'done' ? 0 : 1;
      logger.info({ code, ms: Date.now() - (since ?? 0) }, 'shut down');
      exit(code);
    });
  };
  for (const s of signals) process.on(s, trigger);
  return {
    trigger,
    dispose: () => {
      for (const s of signals) process.off(s, trigger);
    },
  };
}

/**
 * Runs `reload` on every SIGHUP (e.g. a renewed TLS certificate); a failure is logged and the
 * process keeps what it had.
 */
export function onReload(logger: ShutdownLog, what: string, reload: () => void): void {
  process.on('SIGHUP', () => {
    try {
      reload();
      logger.info({ signal: 'SIGHUP', what }, 'reloaded');
    } catch (err) {
      logger.error({ signal: 'SIGHUP', what, err }, 'reload failed; keeping the previous one');
    }
  });
}
