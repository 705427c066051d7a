import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { spawnTs, waitFor, type AppProcess } from '@wrapup/shared/testing';
import { repoPath } from './env';

/** A group of child processes started together and stopped together. */
export class ProcessGroup {
  readonly procs: AppProcess[] = [];

  start(entry: string, env: Record<string, string>, count = 1): AppProcess[] {
    const nodeArgs =
      entry === WORKER_MAIN
        ? splitArgs(process.env.BENCH_WORKER_NODE_ARGS)
        : entry === INGEST_MAIN
          ? splitArgs(process.env.BENCH_INGEST_NODE_ARGS)
          : [];
    const started = Array.from({ length: count }, () => spawnTs(entry, env, undefined, nodeArgs));
    this.procs.push(...started);
    return started;
  }

  /** Throws with the child's output when one of them already exited. */
  checkAlive(what: string): void {
    for (const p of this.procs) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) {
        throw new Error(
          `${what} exited (code ${p.child.exitCode}, signal ${p.child.signalCode}):\n${tail(p.output())}`,
        );
      }
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs` for any that did not exit. */
  async stop(graceMs = 5_000): Promise<void> {
    await Promise.all(
      this.procs.map(async (p) => {
        const timer = setTimeout(() => void p.kill('SIGKILL'), graceMs);
        await p.kill('SIGTERM');
        clearTimeout(timer);
      }),
    );
    this.procs.length = 0;
  }
}

/**
 * BENCH_WORKER_NODE_ARGS / BENCH_INGEST_NODE_ARGS (opt-in, for profiling): extra node flags for the
 * worker or ingest processes, split on spaces, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`
 * (NODE_OPTIONS refuses --cpu-prof).
 */
const splitArgs = (raw: string | undefined) =>
  (raw ?? '')
    .split(' ')
    .map((a) => a.trim())
    .filter(Boolean);

export const tail = (text: string, lines = 30) => text.trim().split('\n').slice(-lines).join('\n');

/** The production worker entry (configured by env only). */
export const WORKER_MAIN = repoPath('apps/worker/src/main.ts');
export const INGEST_MAIN = repoPath('apps/ingest/src/main.ts');

/** Waits until `count` BullMQ workers listen on the queue (each worker process has one per queue). */
export async function waitForWorkers(
  redisUrl: string,
  prefix: string,
  queueName: string,
  count: number,
  group: ProcessGroup,
  timeoutMs = 60_000,
): Promise<void> {
  const queue = new Queue(queueName, { connection: { url: redisUrl }, prefix });
  try {
    await waitFor(
      async () => {
        group.checkAlive('a worker process');
        return (await queue.getWorkersCount()) >= count;
      },
      { timeoutMs, intervalMs: 100, what: `${count} ${queueName} worker(s) under ${prefix}` },
    );
  } finally {
    await queue.close();
  }
}

/** Resident set size of a process in bytes (Linux /proc, else `ps`). */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // not Linux: fall through to ps
  }
  return (
    Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) *
    1024
  );
}

/** CPU seconds (user + system) a process used so far (Linux only; undefined elsewhere). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return undefined;
  }
}
