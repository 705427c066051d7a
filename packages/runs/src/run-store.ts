import { createHash } from 'node:crypto';
import { Command, type Redis } from 'ioredis';
import {
  ANALYTICS_QUEUE,
  FINAL_STAGES,
  RUN_STAGES,
  runIdFor,
  type Report,
  type RunStage,
} from '@wrapup/shared';
import type { PreparedAdd } from './bullmq-add';
import { REPLAY_JOB_INFIX } from './job-ids';
import { runKeys, type RunKeys } from './keys';
import { defineRunScripts } from './lua-script';
import { INTAKE_LUA, MAX_RECENT_RUNS } from './intake.lua';
import { decodeRun, encodePatch, type StagePatch, type StoredRun } from './record';
import { decodeReportCopy, encodeReportCopy, summarize, type ReportCopy } from './report-copy';

export interface RunStoreOptions {
  /** QUEUE_PREFIX; every key lives under `${prefix}:runs:`. */
  prefix: string;
  /** How long an event id is remembered (DEDUPE_TTL_HOURS). */
  dedupeTtlSeconds: number;
  /** How long a run record (and its campaign index) is kept after its last change. */
  retentionSeconds: number;
  /**
   * How far before a finish its run's remembered first start may lie (START_TTL_HOURS); an older
   * one is not used. The campaign state itself is kept for retentionSeconds.
   */
  startTtlSeconds: number;
  /** Finishes this close to (or before) a known run's finish are the same finish. Default 60 s. */
  sameFinishToleranceSeconds?: number;
  /**
   * A finish never joins an in-flight run created longer ago than this; it starts its own run. The
   * analytics stage waits ANALYTICS_MAX_WAIT_MS (5 min by default) plus a few retries, so a run still
   * in flight hours later is stuck, not slow. Default 6 hours.
   */
  maxJoinAgeSeconds?: number;
  /**
   * How far past the receipt time a time may lie and still be trusted: runs finishing later are not
   * looked at by the intake, and remembered `on`/completion times later are ignored. Default 5 min.
   */
  clockSkewSeconds?: number;
  /** Clock for stage timestamps (tests). Default Date.now. */
  now?: () => number;
}

export interface IntakeInput {
  eventId: string;
  campaignId: string;
  status: 'completed' | 'stopped';
  /** ISO UTC. */
  occurredAt: string;
  /** ISO UTC, when the ingest received the event. */
  now: string;
  /** Kept on a new run so a replay rebuilds the same job. */
  durationSeconds?: number;
  contactCount?: number;
  shape?: string;
  /** The campaign copy's `version` (EventBridge / Notification API), when it has one. */
  campaignVersion?: number;
  /**
   * True for a campaign copy (the whole campaign re-sent on every change): it starts a run only on
   * a transition into its status, and an older version than the last seen is ignored.
   */
  transitionsOnly?: boolean;
  /** A lease the writer must still hold: checked in the same script, else `fenced` (nothing written). */
  fence?: Fence;
}

/**
 * A lease (a Redis key holding a fencing token) that must still be held for a write to happen:
 * the run store's scripts check it atomically with their writes (see the intake and status Lua).
 */
export interface Fence {
  key: string;
  token: string;
}

/** What the intake remembers of a campaign between events. */
export interface CampaignState {
  status?: string;
  version?: number;
  /** First `on` of the current run (across stops), ISO. */
  firstOn?: string;
  /** Latest turn to `on`, ISO. */
  lastOn?: string;
  /** Last completed finish, ISO. */
  completedAt?: string;
}

export type RecordStatusResult = 'stale' | 'same' | 'recorded' | 'fenced';

/** One stage reached, and when (epoch ms or a Date; default: when setStage runs). */
export interface StageStep {
  stage: RunStage;
  at?: number | Date;
}

export interface SetStageOptions {
  /** Keys removed in the same round trip (they must start with the prefix). */
  deleteKeys?: readonly string[];
  /**
   * Write only while the run is not final yet, not even over `failed` (which a final stage may
   * otherwise replace): for a safety net that must not overwrite what the job itself recorded.
   */
  unlessFinal?: boolean;
  /**
   * The report the warehouse just confirmed: kept with the run (RunKeys.reportCopy, compact and
   * bounded, expiring with the run) and its headline on the run (`summary`), in the same round
   * trip (MULTI) as the stage.
   */
  report?: Report;
}

/** One page of RunStore.listRecent. */
export interface RecentQuery {
  /** Matching runs to skip (newest first). Default 0. */
  offset?: number;
  /** Runs on the page, 1 to 200. Default 25. */
  limit?: number;
  /** Only this campaign's runs (read from its own index, newest finish first). */
  campaignId?: string;
  /** Only runs in this stage. */
  stage?: RunStage;
}

export interface RecentPage {
  runs: StoredRun[];
  /** More runs match after this page. */
  more: boolean;
  /** Entries in the index read (the recent-runs index or the campaign's); expired runs included. */
  indexed: number;
  /**
   * A filtered page looked at the newest `looked` entries only (MAX_RECENT_RUNS) and the index
   * holds more: older matches are not shown.
   */
  truncated: boolean;
}

const MAX_PAGE = 200;

export type DuplicateReason = 'same-event' | 'joined-in-flight' | 'already-reported';

/** Why a campaign copy started nothing: an older version than the last seen, or no status change. */
export type IgnoredReason = 'stale-copy' | 'no-transition';

/**
 * `startedAt` is the campaign's remembered `on` time when it is earlier than the event's
 * occurredAt (read in the same round trip).
 */
export type IntakeResult =
  | {
      outcome: 'new';
      runId: string;
      startedAt?: string;
      /** the job id added with the run, when a job was given */ jobId?: string;
    }
  | {
      outcome: 'duplicate';
      runId: string;
      reason: DuplicateReason;
      /**
       * The run's job is gone and the run was reopened: add its analytics job again under the
       * run id (the same finish as an orphaned run, or a run recorded without its job).
       */
      needsEnqueue: boolean;
      startedAt?: string;
    }
  /** `runId` is the run this event would have started. */
  | { outcome: 'ignored'; runId: string; reason: IgnoredReason }
  /** `fence` was given and its key no longer holds its token: nothing was read or written. */
  | { outcome: 'fenced'; runId: string };

const MAX_EVENT_IDS = 50;
const MAX_RUNS_PER_CAMPAIGN = 500;

const INTAKE_SHA = createHash('sha1').update(INTAKE_LUA).digest('hex');

/**
 * The intake script's EVALSHA (or EVAL), written to the socket as ioredis writes any command, but
 * built with a few string-to-bytes conversions in all instead of one or two per argument: the
 * intake sends some 45 arguments, two of them Buffers (BullMQ's packed arguments), which makes
 * ioredis's generic encoder measure and copy every piece separately. The bytes are the same
 * (intake-lean.int.test.ts compares them with ioredis's own encoding).
 */
export class IntakeCommand extends Command {
  override toWritable(): Buffer {
    const { args } = this;
    const parts: Buffer[] = [];
    let text = `*${args.length + 1}\r\n$${Buffer.byteLength(this.name)}\r\n${this.name}\r\n`;
    for (const arg of args) {
      if (Buffer.isBuffer(arg)) {
        parts.push(Buffer.from(`${text}$${arg.length}\r\n`), arg);
        text = '\r\n';
      } else {
        const s = String(arg);
        text += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
      }
    }
    parts.push(Buffer.from(text));
    return Buffer.concat(parts);
  }
}

/** The run trail and the intake dedupe, in Redis. Shared by ingest and worker. */
export class RunStore {
  readonly keys: RunKeys;
  private readonly toleranceMs: number;
  private readonly maxJoinAgeMs: number;
  private readonly skewMs: number;
  private readonly now: () => number;
  private readonly jobKeyPrefix: string;

  constructor(
    private readonly redis: Redis,
    private readonly opts: RunStoreOptions,
  ) {
    for (const name of ['dedupeTtlSeconds', 'retentionSeconds', 'startTtlSeconds'] as const) {
      if (!(opts[name] > 0)) throw new Error(`RunStore: ${name} must be a positive number`);
    }
    this.keys = runKeys(opts.prefix);
    this.toleranceMs = Math.round((opts.sameFinishToleranceSeconds ?? 60) * 1000);
    this.maxJoinAgeMs = Math.round((opts.maxJoinAgeSeconds ?? 6 * 3600) * 1000);
    this.skewMs = Math.round((opts.clockSkewSeconds ?? 300) * 1000);
    this.now = opts.now ?? Date.now;
    this.jobKeyPrefix = `${opts.prefix}:${ANALYTICS_QUEUE}:`;
    defineRunScripts(redis);
  }

  /**
   * Decides, in one Lua round trip, whether this finish starts a run or repeats/joins one.
   *
   * With `job` (from `prepareAdd`, its jobId the run id: `runIdFor(campaignId, occurredAt)`), a new run's
   * analytics job is added by BullMQ's own script in the same round trip and atomically with the
   * run record; the job's data gets the remembered start time when the event has no duration.
   * Nothing is added for a duplicate or a join.
   *
   * An in-flight run whose job is gone or failed is not joined: it is marked `failed` and the
   * finish starts a new run, or, for the same finish, the run is reopened with `needsEnqueue`;
   * nor is one created more than `maxJoinAgeSeconds` before `now` (see INTAKE_LUA).
   *
   * With `i.fence`, the script first checks that the fence key holds the token: if not, it
   * writes nothing (no job either) and the answer is `fenced`.
   */
  async intake(i: IntakeInput, job?: PreparedAdd): Promise<IntakeResult> {
    const occurredMs = Date.parse(i.occurredAt);
    if (Number.isNaN(occurredMs))
      throw new Error(`RunStore.intake: occurredAt is not a date: ${i.occurredAt}`);
    const nowMs = Date.parse(i.now);
    if (Number.isNaN(nowMs)) throw new Error(`RunStore.intake: now is not a date: ${i.now}`);
    // one format for every stored time, so the script compares them as strings
    const now = new Date(nowMs).toISOString();
    const occurredAt = new Date(occurredMs).toISOString();
    const runId = runIdFor(i.campaignId, occurredAt);
    if (job) {
      if (job.jobId !== runId)
        throw new Error(`RunStore.intake: the job's id ${job.jobId} is not the run id ${runId}`);
      if (!job.keys.every((key) => key.startsWith(this.jobKeyPrefix))) {
        throw new Error(
          `RunStore.intake: the job is not on the ${ANALYTICS_QUEUE} queue under ${this.opts.prefix}`,
        );
      }
      const data = job.args[1];
      if (typeof data !== 'string' || !data.endsWith('}'))
        throw new Error('RunStore.intake: the job data is not a JSON object');
      if (i.durationSeconds === undefined && data.includes('"startedAt"')) {
        throw new Error(
          'RunStore.intake: leave startedAt out of the job; the intake adds the remembered one',
        );
      }
    }
    if (i.fence && (!i.fence.key || !i.fence.token))
      throw new Error('RunStore.intake: a fence needs a key and a token');
    const k = this.keys;
    const keys = [
      k.event(i.campaignId, i.eventId),
      k.active(i.campaignId),
      k.campaign(i.campaignId),
      k.state(i.campaignId),
      k.run(runId),
      ...(job?.keys ?? []),
      // the fence key comes after the job's (see INTAKE_LUA)
      ...(i.fence ? [i.fence.key] : []),
      // the recent-runs index always comes last, its score the last argument
      k.recent,
    ];
    const raw = await this.runIntakeScript([
      keys.length,
      ...keys,
      i.eventId,
      runId,
      i.campaignId,
      i.status,
      occurredAt,
      occurredMs,
      now,
      secs(this.opts.dedupeTtlSeconds),
      secs(this.opts.retentionSeconds),
      this.toleranceMs,
      k.runPrefix,
      this.jobKeyPrefix,
      i.durationSeconds ?? '',
      i.contactCount ?? '',
      i.shape ?? '',
      MAX_EVENT_IDS,
      MAX_RUNS_PER_CAMPAIGN,
      i.campaignVersion ?? '',
      i.transitionsOnly ? '1' : '0',
      new Date(occurredMs - this.opts.startTtlSeconds * 1000).toISOString(),
      nowMs + this.skewMs,
      new Date(nowMs + this.skewMs).toISOString(),
      new Date(nowMs - this.maxJoinAgeMs).toISOString(),
      i.fence?.token ?? '',
      ...(job?.args ?? []),
      nowMs,
    ]);
    const [outcome, id, reason, needs, startedAt, added] = raw as [
      string,
      string,
      string,
      number,
      string,
      string | undefined,
    ];
    const start = startedAt ? { startedAt } : {};
    if (outcome === 'fenced') return { outcome: 'fenced', runId };
    if (outcome === 'ignored')
      return { outcome: 'ignored', runId, reason: reason as IgnoredReason };
    if (outcome === 'new')
      return { outcome: 'new', runId: id, ...start, ...(added ? { jobId: added } : {}) };
    return {
      outcome: 'duplicate',
      runId: id,
      reason: reason as DuplicateReason,
      needsEnqueue: needs === 1,
      ...start,
    };
  }

  /**
   * INTAKE_LUA by its SHA, or by its text when Redis does not hold it yet (a first call after a
   * restart or SCRIPT FLUSH: Redis answers NOSCRIPT, and EVAL loads it for the next calls).
   */
  private async runIntakeScript(keysAndArgs: (string | number | Buffer)[]): Promise<unknown> {
    const send = (name: 'evalsha' | 'eval', script: string) =>
      this.redis.sendCommand(
        new IntakeCommand(name, [script, ...keysAndArgs], { replyEncoding: 'utf8' }),
      ) as Promise<unknown>;
    try {
      return await send('evalsha', INTAKE_SHA);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return send('eval', INTAKE_LUA);
    }
  }

  /**
   * Records a status the campaign was seen in that starts no report (see RECORD_STATUS_LUA): `on`
   * remembers the run's first start (kept across stops) and the latest resume. For a campaign copy
   * (`transitionsOnly`), an older version than the last seen is ignored ('stale'). A time more than
   * `clockSkewSeconds` past now is not remembered (the status still is). With `opts.fence`, nothing
   * is written unless the fence key holds the token ('fenced'), checked in the same script.
   */
  async recordStatus(
    campaignId: string,
    status: string,
    at: string,
    opts: { version?: number | undefined; transitionsOnly?: boolean; fence?: Fence } = {},
  ): Promise<RecordStatusResult> {
    const ms = Date.parse(at);
    if (Number.isNaN(ms)) throw new Error(`RunStore.recordStatus: not a date: ${at}`);
    const fence = opts.fence;
    if (fence && (!fence.key || !fence.token))
      throw new Error('RunStore.recordStatus: a fence needs a key and a token');
    const keys = fence ? [this.keys.state(campaignId), fence.key] : [this.keys.state(campaignId)];
    return (await this.redis.runsRecordStatus(
      keys.length,
      ...keys,
      status,
      new Date(ms).toISOString(),
      opts.version ?? '',
      secs(this.opts.retentionSeconds),
      opts.transitionsOnly ? '1' : '0',
      this.horizon(),
      ...(fence ? [fence.token] : []),
    )) as RecordStatusResult;
  }

  /** `on` seen at `at`: recordStatus(campaignId, 'on', at). */
  async rememberStart(campaignId: string, at: string): Promise<void> {
    await this.recordStatus(campaignId, 'on', at);
  }

  /** The run's first start, if remembered. */
  async getStart(campaignId: string): Promise<string | undefined> {
    return (await this.campaignState(campaignId)).firstOn;
  }

  /** The campaign's remembered state; times more than `clockSkewSeconds` past now are left out. */
  async campaignState(campaignId: string): Promise<CampaignState> {
    const h = await this.redis.hgetall(this.keys.state(campaignId));
    const horizon = this.horizon();
    const trusted = (t: string | undefined) => (t && t <= horizon ? t : undefined);
    const state: CampaignState = {};
    if (h.status) state.status = h.status;
    if (h.version && Number.isFinite(Number(h.version))) state.version = Number(h.version);
    const firstOn = trusted(h.firstOn);
    const lastOn = trusted(h.lastOn);
    const completedAt = trusted(h.completedAt);
    if (firstOn) state.firstOn = firstOn;
    if (lastOn) state.lastOn = lastOn;
    if (completedAt) state.completedAt = completedAt;
    return state;
  }

  /** Now plus the clock skew allowed, ISO: later times are not trusted. */
  private horizon(): string {
    return new Date(this.now() + this.skewMs).toISOString();
  }

  /**
   * Moves a run to `stage` (recording when) and applies the patch. A final stage releases the
   * campaign's in-flight slot if it still belongs to this run. A missing run is left alone.
   *
   * Several stages reached in one step may be recorded in one round trip: pass them in the order
   * they were reached, each with its time (default now); the last one becomes the run's stage.
   * `opts.deleteKeys` (under the prefix) are removed in the same round trip, whatever the run's state.
   * With `opts.unlessFinal`, a run already final (`failed` included) is left alone.
   */
  async setStage(
    runId: string,
    stage: RunStage | readonly StageStep[],
    patch: StagePatch = {},
    opts: SetStageOptions = {},
  ): Promise<void> {
    const steps = typeof stage === 'string' ? [{ stage }] : stage;
    const last = steps[steps.length - 1];
    if (last === undefined) throw new Error('RunStore.setStage: no stage given');
    const deleteKeys = opts.deleteKeys ?? [];
    for (const key of deleteKeys) {
      if (!key.startsWith(`${this.opts.prefix}:`)) {
        throw new Error(`RunStore.setStage: ${key} is not under the prefix ${this.opts.prefix}`);
      }
    }
    const fallback = steps.some((s) => s.at === undefined)
      ? new Date(this.now()).toISOString()
      : '';
    const pairs: string[] = [];
    for (const s of steps)
      pairs.push(s.stage, s.at === undefined ? fallback : new Date(s.at).toISOString());
    const keys = [this.keys.run(runId), ...deleteKeys];
    const args = [
      runId,
      steps.length,
      FINAL_STAGES.includes(last.stage) ? '1' : '0',
      this.keys.activePrefix,
      secs(this.opts.retentionSeconds),
      opts.unlessFinal ? '1' : '0',
      ...pairs,
    ];
    if (opts.report === undefined) {
      await this.redis.runsSetStage(keys.length, ...keys, ...args, ...encodePatch(patch));
      return;
    }
    const { report } = opts;
    await this.withReportCopy(runId, report, (multi) =>
      multi.runsSetStage(
        keys.length,
        ...keys,
        ...args,
        ...encodePatch({ ...patch, summary: summarize(report) }),
      ),
    );
  }

  /**
   * `write` (the stage script) and the report copy's SET in one MULTI: one round trip, and the
   * copy is never there without the write having run. Returns the script's answer.
   */
  private async withReportCopy(
    runId: string,
    report: Report,
    write: (multi: ReturnType<Redis['multi']>) => unknown,
  ): Promise<unknown> {
    const multi = this.redis.multi();
    multi.set(
      this.keys.reportCopy(runId),
      encodeReportCopy(report),
      'EX',
      secs(this.opts.retentionSeconds),
    );
    write(multi);
    const results = (await multi.exec()) ?? [];
    for (const [err] of results) if (err) throw err;
    return results[1]?.[1];
  }

  /**
   * Applies the patch to a run without moving it: its stage and stage times stay (the final
   * re-check records its revision this way, also on a run a replay has reopened, so the replay
   * writes the next revision, final too). A missing (expired) run is left alone. Returns whether
   * the patch was written.
   */
  async annotateReported(
    runId: string,
    patch: StagePatch,
    opts: { report?: Report } = {},
  ): Promise<boolean> {
    const args = (fields: string[]) =>
      [
        1,
        this.keys.run(runId),
        runId,
        0,
        '0',
        this.keys.activePrefix,
        secs(this.opts.retentionSeconds),
        '2',
        ...fields,
      ] as const;
    const { report } = opts;
    const result =
      report === undefined
        ? await this.redis.runsSetStage(...args(encodePatch(patch)))
        : await this.withReportCopy(runId, report, (multi) =>
            multi.runsSetStage(...args(encodePatch({ ...patch, summary: summarize(report) }))),
          );
    return Number(result) === 1;
  }

  async get(runId: string): Promise<StoredRun | undefined> {
    return decodeRun(await this.redis.hgetall(this.keys.run(runId)));
  }

  /**
   * The run and the report it delivered (see SetStageOptions.report), in one round trip; either
   * may be missing (a run not delivered yet has no report; both expire with the retention).
   */
  async getWithReport(
    runId: string,
  ): Promise<{ run: StoredRun | undefined; report: ReportCopy | undefined }> {
    const results =
      (await this.redis
        .pipeline()
        .hgetall(this.keys.run(runId))
        .get(this.keys.reportCopy(runId))
        .exec()) ?? [];
    const [[runErr, hash] = [null, {}], [copyErr, raw] = [null, null]] = results;
    if (runErr) throw runErr;
    if (copyErr) throw copyErr;
    return {
      run: decodeRun(hash as Record<string, string>),
      report: decodeReportCopy(raw as string | null),
    };
  }

  /**
   * One page of runs across campaigns, newest first (by creation), from the recent-runs index:
   * one round trip (a script reads the page's runs). With `campaignId` the campaign's own index is
   * read instead (newest finish first). A filtered page walks the index from its newest entry and
   * looks at MAX_RECENT_RUNS entries at most (see LIST_RUNS_LUA).
   */
  async listRecent(q: RecentQuery = {}): Promise<RecentPage> {
    const offset = Math.max(0, Math.floor(q.offset ?? 0));
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(q.limit ?? 25)));
    if (q.stage !== undefined && !RUN_STAGES.includes(q.stage))
      throw new Error(`RunStore.listRecent: no such stage ${String(q.stage)}`);
    const index = q.campaignId === undefined ? this.keys.recent : this.keys.campaign(q.campaignId);
    const raw = (await this.redis.runsListPage(
      index,
      this.keys.runPrefix,
      offset,
      limit,
      q.stage ?? '',
      // the campaign's own index holds its runs only: nothing to compare
      '',
      MAX_RECENT_RUNS,
    )) as [number, number, number, ...(string | string[])[]];
    const [more, indexed, looked, ...rest] = raw;
    const runs: StoredRun[] = [];
    for (let i = 0; i + 1 < rest.length; i += 2) {
      const flat = rest[i + 1];
      if (!Array.isArray(flat)) continue;
      const hash: Record<string, string> = {};
      for (let j = 0; j + 1 < flat.length; j += 2) hash[flat[j] as string] = flat[j + 1] as string;
      const run = decodeRun(hash);
      if (run) runs.push(run);
    }
    const filtered = q.stage !== undefined;
    return {
      runs,
      more: Number(more) === 1,
      indexed: Number(indexed),
      truncated: filtered && Number(more) !== 1 && Number(looked) < Number(indexed),
    };
  }

  /** The campaign's runs, newest finish first (at most `limit`). */
  async listForCampaign(campaignId: string, limit = 100): Promise<StoredRun[]> {
    const ids = await this.redis.zrevrange(
      this.keys.campaign(campaignId),
      0,
      Math.max(0, limit - 1),
    );
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.run(id));
    const results = (await pipeline.exec()) ?? [];
    const runs: StoredRun[] = [];
    for (const [err, hash] of results) {
      if (err) throw err;
      const run = decodeRun(hash as Record<string, string>);
      if (run) runs.push(run);
    }
    return runs;
  }

  /**
   * Counts a replay of the run and records its job id, `replayJobId(runId, n)`, as the run's live
   * job; returns the new count (1 for the first), undefined if unknown.
   */
  async markReplay(runId: string): Promise<number | undefined> {
    const n = Number(
      await this.redis.runsMarkReplay(
        this.keys.run(runId),
        new Date(this.now()).toISOString(),
        `${runId}${REPLAY_JOB_INFIX}`,
      ),
    );
    return n < 0 ? undefined : n;
  }
}

const secs = (s: number) => Math.max(1, Math.ceil(s));
