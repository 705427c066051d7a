/*
 * Builds on BullMQ internals: the addStandardJob Lua script from `bullmq/dist/cjs/scripts`, the
 * protected `Job#validateOptions` and `queue.backend.addJobToTransaction`. Checked against bullmq
 * 6.7.0, which is why the workspace catalog (pnpm-workspace.yaml) pins bullmq exactly, with no ^.
 * On an upgrade: change the catalog entry, `pnpm install`, then run
 *   pnpm exec vitest run packages/runs/src/intake-enqueue.int.test.ts
 * (real Redis): it proves the intake writes byte for byte what `queue.add` writes and that a BullMQ
 * worker runs it. Update the version named here when it passes. The start-up guard
 * (`checkPrepareAdd`) stays as a second line: the ingest refuses to start on a release that no
 * longer issues a plain add the way `prepareAdd` expects.
 */
import { createRequire } from 'node:module';
import { Job, type JobsOptions, type Queue } from 'bullmq';

/**
 * BullMQ's own Lua for a plain add (no delay, priority or parent), exactly as the installed BullMQ
 * ships and runs it, so the intake script can create the analytics job in the same round trip and
 * the job is byte for byte what `queue.add` would have written.
 */
export interface BullmqScript {
  name: string;
  content: string;
  keys: number;
}

/** The keys and arguments BullMQ would send to its add script for one job. */
export interface PreparedAdd {
  jobId: string;
  keys: string[];
  args: (string | Buffer)[];
}

const ADD_ARGS = 3;

function loadAddStandardJob(): BullmqScript {
  // BullMQ keeps its scripts out of its public index; its CommonJS build is what `import 'bullmq'`
  // loads in Node (package.json `main`), so this is the same copy of the scripts it runs itself.
  const scripts = createRequire(import.meta.url)('bullmq/dist/cjs/scripts/index.js') as Record<
    string,
    unknown
  >;
  const s = scripts.addStandardJob as Partial<BullmqScript> | undefined;
  if (
    !s ||
    s.name !== 'addStandardJob' ||
    typeof s.content !== 'string' ||
    typeof s.keys !== 'number'
  ) {
    throw new Error(
      'the installed bullmq does not ship the addStandardJob script the intake builds on (bullmq 6 is required)',
    );
  }
  return { name: s.name, content: s.content, keys: s.keys };
}

export const ADD_STANDARD_JOB = loadAddStandardJob();

/** A Job that lets `prepareAdd` run BullMQ's own (protected) option checks before encoding. */
class CheckedJob extends Job {
  validate(json: ReturnType<Job['asJSON']>): void {
    this.validateOptions(json);
  }
}

/** The transaction type `addJobToTransaction` accepts (BullMQ's IRedisTransaction). */
type Transaction = Extract<
  Parameters<Queue['backend']['addJobToTransaction']>[0],
  { exec(): unknown }
>;

/**
 * A transaction that sends nothing: it keeps the one script call a plain add makes. Any other
 * command means BullMQ adds jobs differently than `prepareAdd` expects, and it throws.
 */
class AddRecorder implements Transaction {
  sent: { command: string; argv: unknown[] } | undefined;
  runCommand(name: string, args: unknown[]): this {
    this.sent = { command: name, argv: args };
    return this;
  }
  private other(command: string): never {
    throw new Error(`prepareAdd: bullmq issued ${command}, not only its add script`);
  }
  hgetall(): this {
    return this.other('HGETALL');
  }
  hset(): this {
    return this.other('HSET');
  }
  hscan(): this {
    return this.other('HSCAN');
  }
  smembers(): this {
    return this.other('SMEMBERS');
  }
  sscan(): this {
    return this.other('SSCAN');
  }
  zrange(): this {
    return this.other('ZRANGE');
  }
  lrange(): this {
    return this.other('LRANGE');
  }
  llen(): this {
    return this.other('LLEN');
  }
  del(): this {
    return this.other('DEL');
  }
  exec(): Promise<null> {
    return Promise.resolve(null);
  }
}

/**
 * Builds what `queue.add(name, data, opts)` would send to Redis, without sending it: BullMQ's own
 * Job and backend encode the job (options packed, data serialised, timestamp), and the command is
 * caught on its way out, synchronously (the backend issues it before its first await; if a BullMQ
 * version did not, this throws, and the ingest refuses to start: see `checkPrepareAdd`). Only plain
 * adds are supported (the intake's): a delay, a priority or a parent would take another script and
 * are refused.
 */
export function prepareAdd(
  queue: Queue,
  name: string,
  data: object,
  opts: JobsOptions & { jobId: string },
): PreparedAdd {
  const jobId = opts.jobId;
  if (jobId === '0' || jobId.startsWith('0:'))
    throw new Error("prepareAdd: jobId cannot be '0' or start with '0:'");
  const job = new CheckedJob(queue, name, data, { ...queue.jobsOpts, ...opts, jobId }, jobId);
  const json = job.asJSON();
  job.validate(json);
  const recorder = new AddRecorder();
  const pending = queue.backend.addJobToTransaction(recorder, json, jobId);
  pending.catch(() => undefined); // it only settles on the recorder's answer; nothing was sent
  const { sent } = recorder;
  const expected = ADD_STANDARD_JOB.keys + ADD_ARGS;
  if (
    !sent ||
    !sent.command.startsWith(`${ADD_STANDARD_JOB.name}:`) ||
    sent.argv.length !== expected
  ) {
    throw new Error(
      `prepareAdd: bullmq would run ${sent ? `${sent.command} with ${sent.argv.length} arguments` : 'nothing'}, ` +
        `not ${ADD_STANDARD_JOB.name} with ${expected} arguments (only plain adds are supported)`,
    );
  }
  const argv = sent.argv.map((a, i) => {
    if (typeof a === 'string' || Buffer.isBuffer(a)) return a;
    throw new Error(
      `prepareAdd: argument ${i} of ${sent?.command} is a ${typeof a}, not a string or Buffer`,
    );
  });
  const keys = argv.slice(0, ADD_STANDARD_JOB.keys).map(String);
  return { jobId, keys, args: argv.slice(ADD_STANDARD_JOB.keys) };
}

/** What BullMQ packs its script arguments with: msgpackr, as its backend configures it. */
interface Packer {
  pack(value: unknown): Buffer;
  unpack(bytes: Buffer): unknown;
}

function loadPacker(): Packer | undefined {
  try {
    // msgpackr as BullMQ itself resolves it (its own dependency), with BullMQ's options
    const fromBullmq = createRequire(createRequire(import.meta.url).resolve('bullmq'));
    const { Packr } = fromBullmq('msgpackr') as {
      Packr: new (o: object) => Packer;
    };
    return new Packr({ useRecords: false, encodeUndefinedAsNil: true });
  } catch {
    return undefined;
  }
}

/** Builds the add of one job of a template (see addTemplate). */
export type AddOfJob = (data: object, jobId: string) => PreparedAdd;

const sameBytes = (a: string | Buffer | undefined, b: string | Buffer | undefined) =>
  typeof a === 'string' || typeof b === 'string'
    ? a === b
    : a !== undefined && b !== undefined && a.equals(b);

/**
 * `prepareAdd` for many jobs of one queue, name and option set that differ only in their data and
 * jobId (the intake's analytics jobs): what BullMQ encodes the same for every such job (the queue
 * keys, the packed options apart from the jobId, the packed arguments apart from the jobId and the
 * timestamp) is taken once from a probe that `prepareAdd` builds the ordinary way; each job then
 * only has its data serialised and the two small msgpack arrays packed again, with BullMQ's own
 * packer settings. BullMQ's per-job option checks (`validateOptions`, the jobId rules) still run
 * for every job. The template is checked against the probe byte for byte when it is made: when it
 * cannot reproduce it (another BullMQ, or a fixed `timestamp` option), every job goes through
 * `prepareAdd`.
 */
export function addTemplate(queue: Queue, name: string, opts: JobsOptions): AddOfJob {
  const slow: AddOfJob = (data, jobId) => prepareAdd(queue, name, data, { ...opts, jobId });
  const packer = loadPacker();
  const full = { ...queue.jobsOpts, ...opts };
  if (!packer || full.timestamp !== undefined) return slow;
  const probeId = 'add-template-probe';
  const probeData = { probe: true };
  let probe: PreparedAdd;
  let args: unknown;
  let encodedOpts: unknown;
  try {
    probe = prepareAdd(queue, name, probeData, { ...opts, jobId: probeId });
    const [packedArgs, , packedOpts] = probe.args;
    if (!Buffer.isBuffer(packedArgs) || !Buffer.isBuffer(packedOpts)) return slow;
    args = packer.unpack(packedArgs);
    encodedOpts = packer.unpack(packedOpts);
  } catch {
    return slow;
  }
  if (
    !Array.isArray(args) ||
    args[1] !== probeId ||
    args[2] !== name ||
    typeof args[3] !== 'number' ||
    typeof encodedOpts !== 'object' ||
    encodedOpts === null ||
    (encodedOpts as { jobId?: unknown }).jobId !== probeId
  ) {
    return slow;
  }
  const argsTemplate: readonly unknown[] = args;
  const optsTemplate = encodedOpts as Record<string, unknown>;
  const keys = probe.keys;
  const checker = new CheckedJob(queue, name, probeData, { ...full, jobId: probeId }, probeId);
  const build = (json: string, jobId: string, timestamp: number): PreparedAdd => {
    const packedArgs = argsTemplate.slice();
    packedArgs[1] = jobId;
    packedArgs[3] = timestamp;
    return {
      jobId,
      keys,
      args: [
        packer.pack(packedArgs),
        json,
        // the jobId keeps its place among the options (it was spread in last, as here)
        packer.pack({ ...optsTemplate, jobId }),
      ],
    };
  };
  const again = build(JSON.stringify(probeData), probeId, argsTemplate[3] as number);
  if (!again.args.every((a, i) => sameBytes(a, probe.args[i]))) return slow;
  return (data, jobId) => {
    if (jobId === '0' || jobId.startsWith('0:'))
      throw new Error("prepareAdd: jobId cannot be '0' or start with '0:'");
    const json = JSON.stringify(data);
    // BullMQ's own option checks, on this job's id and data (nothing else differs between the jobs)
    checker.opts.jobId = jobId;
    checker.validate({ data: json } as ReturnType<Job['asJSON']>);
    return build(json, jobId, Date.now());
  };
}

/**
 * The add script as a local Lua function `name(KEYS, ARGV)`: its KEYS and ARGV become parameters,
 * so it runs unchanged inside another script, on the keys and arguments `prepareAdd` produced.
 */
export const addScriptAsFunction = (name: string) =>
  `local function ${name}(KEYS, ARGV)\n${ADD_STANDARD_JOB.content}\nend\n`;

/**
 * Start-up check that the installed BullMQ still lets `prepareAdd` capture a plain add; throws one
 * line naming the problem otherwise.
 */
export function checkPrepareAdd(queue: Queue): void {
  try {
    prepareAdd(queue, 'probe', { probe: true }, { jobId: 'probe' });
  } catch (err) {
    throw new Error(
      `the one-round-trip intake cannot work with the installed bullmq: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}
