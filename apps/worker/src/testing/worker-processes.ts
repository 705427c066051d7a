import { spawnTs, type AppProcess, type Closing } from '@wrapup/shared/testing';

export const WORKER_MAIN = new URL('../main.ts', import.meta.url).pathname;

/**
 * Starts the worker (src/main.ts) as a process of its own with `env` (usually a pipeline's,
 * started with `startWorker: false`); one still running after the test gets SIGTERM, before
 * what was handed to `closing` earlier (the pipeline) closes.
 */
export function workerSpawner(closing: Closing): (env: Record<string, string>) => AppProcess {
  return (env) => {
    const worker = spawnTs(WORKER_MAIN, env);
    closing({ close: () => worker.kill('SIGTERM') });
    return worker;
  };
}
