import { afterEach, describe, expect, it } from 'vitest';
import {
  onShutdown,
  runSteps,
  type ShutdownHandle,
  type ShutdownLog,
  type ShutdownOptions,
  type ShutdownStep,
} from './shutdown';

interface Line {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

function recorder(): ShutdownLog & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (obj: object, msg: string) =>
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** Resolves with the first exit code (and how many times exit was called by then). */
function exitSpy() {
  const codes: number[] = [];
  let resolve!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolve = r));
  return {
    codes,
    exited,
    exit: (code: number) => {
      codes.push(code);
      resolve(code);
    },
  };
}

const never = (): Promise<void> => new Promise(() => undefined);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

// every test listens on SIGUSR2 only, so nothing reaches the test runner's own handlers
const signals = ['SIGUSR2'] as const;
let handle: ShutdownHandle | undefined;
afterEach(() => {
  handle?.dispose();
  handle = undefined;
});

describe('runSteps', () => {
  it('runs the steps in order and reports done', async () => {
    const order: string[] = [];
    const step = (name: string): ShutdownStep => ({
      name,
      run: () => pause(5).then(() => void order.push(name)),
    });
    const log = recorder();
    expect(
      await runSteps([step('a'), step('b'), step('c')], { deadlineMs: 1_000, logger: log }),
    ).toBe('done');
    expect(order).toEqual(['a', 'b', 'c']);
    expect(log.lines.map((l) => [l.msg, l.obj.step])).toEqual([
      ['shutdown step done', 'a'],
      ['shutdown step done', 'b'],
      ['shutdown step done', 'c'],
    ]);
  });

  it('logs a failing step with its error, still runs the later ones, and reports failed', async () => {
    const boom = new Error('queue close failed', { cause: new Error('socket closed') });
    const ran: string[] = [];
    const log = recorder();
    const outcome = await runSteps(
      [
        { name: 'queues', run: () => Promise.reject(boom) },
        { name: 'redis', run: () => void ran.push('redis') },
      ],
      { deadlineMs: 1_000, logger: log },
    );
    expect(outcome).toBe('failed');
    expect(ran).toEqual(['redis']);
    expect(log.lines[0]).toEqual({
      level: 'error',
      obj: { step: 'queues', err: boom },
      msg: 'shutdown step failed',
    });
  });

  it('stops at the overall deadline, names the step in hand, and skips the rest', async () => {
    const ran: string[] = [];
    const log = recorder();
    const t0 = Date.now();
    const outcome = await runSteps(
      [
        { name: 'fast', run: () => pause(20) },
        { name: 'stuck', run: never },
        { name: 'after', run: () => void ran.push('after') },
      ],
      { deadlineMs: 150, logger: log },
    );
    expect(outcome).toBe('deadline');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(ran).toEqual([]);
    expect(log.lines.at(-1)).toEqual({
      level: 'error',
      obj: { deadlineMs: 150, step: 'stuck' },
      msg: 'shutdown deadline passed',
    });
  });
});

describe('onShutdown', () => {
  /** Listens on the test's signals with `steps`, recording the log and the exit. */
  function listen(
    steps: ShutdownStep[],
    opts: Pick<ShutdownOptions, 'deadlineMs' | 'sameSignalMs'>,
  ) {
    const log = recorder();
    const spy = exitSpy();
    const h = onShutdown(steps, { ...opts, logger: log, exit: spy.exit, signals });
    handle = h;
    return { trigger: (signal: string) => h.trigger(signal), log, spy };
  }

  it('on the signal runs the steps once and exits 0', async () => {
    let runs = 0;
    const { log, spy } = listen([{ name: 'close', run: () => pause(5).then(() => void runs++) }], {
      deadlineMs: 1_000,
    });
    process.emit('SIGUSR2', 'SIGUSR2'); // as Node does for a real signal
    expect(await spy.exited).toBe(0);
    expect(runs).toBe(1);
    expect(log.lines[0]).toMatchObject({
      level: 'info',
      obj: { signal: 'SIGUSR2', deadlineMs: 1_000 },
      msg: 'shutting down',
    });
    expect(log.lines.at(-1)).toMatchObject({ obj: { code: 0 }, msg: 'shut down' });
  });

  it('exits 1 with a log line when the deadline passes', async () => {
    const { trigger, log, spy } = listen([{ name: 'workers', run: never }], { deadlineMs: 100 });
    trigger('SIGTERM');
    expect(await spy.exited).toBe(1);
    expect(log.lines).toContainEqual({
      level: 'error',
      obj: { deadlineMs: 100, step: 'workers' },
      msg: 'shutdown deadline passed',
    });
  });

  it('exits 1 when a step fails', async () => {
    const { trigger, spy } = listen(
      [{ name: 'sink', run: () => Promise.reject(new Error('no')) }],
      { deadlineMs: 1_000 },
    );
    trigger('SIGINT');
    expect(await spy.exited).toBe(1);
  });

  it('a second signal forces the exit at once; one relayed within sameSignalMs is ignored', async () => {
    const { trigger, log, spy } = listen([{ name: 'workers', run: never }], {
      deadlineMs: 60_000,
      sameSignalMs: 100,
    });
    trigger('SIGINT');
    trigger('SIGINT'); // the same Ctrl-C, relayed
    await pause(20);
    expect(spy.codes).toEqual([]);
    await pause(100);
    const t0 = Date.now();
    trigger('SIGINT');
    expect(await spy.exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(50);
    expect(log.lines).toContainEqual({
      level: 'warn',
      obj: { signal: 'SIGINT' },
      msg: 'signalled again: exiting without waiting',
    });
    trigger('SIGINT');
    expect(spy.codes).toEqual([1]);
  });

  it('dispose stops listening', () => {
    const before = process.listenerCount('SIGUSR2');
    handle = onShutdown([], {
      deadlineMs: 1_000,
      logger: recorder(),
      exit: () => undefined,
      signals,
    });
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    handle.dispose();
    expect(process.listenerCount('SIGUSR2')).toBe(before);
  });
});
