import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  RECONCILE_SCHEDULER_ID,
  ReconcileJobSchema,
  mapCampaignStatus,
  type ReconcileJob,
  type ReconcileResult,
} from '@wrapup/shared';
import {
  DEFAULT_EVENT_HORIZON,
  acceptEvent,
  type AcceptDeps,
  type AcceptOutcome,
  type RunStore,
} from '@wrapup/runs';
import type { Logger } from '../logger';
import { parseJobData } from '../queues';
import { publishCampaigns } from '../sources/feed';

/** What the sweep needs from Genesys (the real client satisfies it). */
export interface ReconcileGenesys {
  listCampaigns(opts?: { pageSize?: number }): Promise<
    {
      id: string;
      name?: string | undefined;
      campaignStatus?: string | undefined;
      version?: number | undefined;
      dateModified?: string | undefined;
    }[]
  >;
}

export interface ReconcileDeps {
  genesys: ReconcileGenesys;
  runs: RunStore;
  /** The analytics queue the intake adds a new run's job to. */
  analytics: Queue;
  /** For the baseline key, the campaign feed and keeping campaign states alive. */
  redis: Redis;
  /** QUEUE_PREFIX. */
  prefix: string;
  triggerStatuses: readonly string[];
  eventTimezone: string;
  events?: { maxAgeDays: number; maxFutureSeconds: number } | undefined;
  maxWindowDays?: number | undefined;
  /** How long a campaign's state is kept (RUN_RETENTION_HOURS): every sweep renews it for listed campaigns. */
  retentionSeconds: number;
  logger: Logger;
  /** Campaigns per listing page (the platform's largest is 100). */
  pageSize?: number;
  /** Campaigns handed to the intake at once (each one Redis round trip or two). */
  concurrency?: number;
  now?: () => number;
}

/** When the first sweep ever ran (ISO): finishes before it are history, never reported by a sweep. */
export const reconcileBaselineKey = (prefix: string) => `${prefix}:reconcile:baseline`;

type Listed = Awaited<ReturnType<ReconcileGenesys['listCampaigns']>>[number];
type Counter = Exclude<keyof ReconcileResult, 'listed' | 'firstSweep' | 'since'>;

const DAY_MS = 86_400_000;

/** A Redis failure the intake reported: the sweep stops and its job is retried (every step repeats safely). */
export class SweepUnavailable extends Error {
  constructor(cause: unknown) {
    super(
      `redis unavailable during the sweep: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'SweepUnavailable';
  }
}

/**
 * The `reconcile` queue: one sweep lists every campaign (one paged listing, 100 a page) and hands
 * each to the intake as the Notification API message the platform would have sent for it, dated by
 * its `dateModified`. The intake's own rules decide: a finish it has seen (a webhook, an earlier
 * sweep) is a duplicate or no transition, so a sweep never adds a second run; a campaign whose
 * state changed into a finish since it was last seen gets its run.
 *
 * - The first sweep ever under this prefix (no baseline key) only records the status of every
 *   campaign no source has seen yet (no runs) and stores the baseline time (when it started): what
 *   finished before wrapup looked is history. A campaign another source already recorded (the
 *   Notification API listener saw it `on`) goes to the intake as on any later sweep, and so does a
 *   finish dated after the sweep began (during its listing).
 * - Later, a campaign seen for the first time is reported only when it finished after the
 *   baseline (its `dateModified`); older ones are recorded only.
 * - With `since` (an admin backfill), every finished campaign modified at or after `since` that has
 *   no run for its current finish gets one, even when its state already says finished (recorded by
 *   the baseline): see `backfill`.
 *
 * Every listed id is published to the campaign feed (the Notification API listener subscribes the
 * new ones), and every listed campaign's state has its retention renewed, so a campaign that stays
 * finished for longer than RUN_RETENTION_HOURS is never mistaken for one seen the first time.
 */
export function createReconcileProcessor(deps: ReconcileDeps) {
  const now = deps.now ?? Date.now;
  const horizon = deps.events ?? DEFAULT_EVENT_HORIZON;
  const pageSize = deps.pageSize ?? 100;
  const concurrency = Math.max(1, deps.concurrency ?? 20);
  const acceptDeps: AcceptDeps = {
    runs: deps.runs,
    analytics: deps.analytics,
    triggerStatuses: deps.triggerStatuses,
    eventTimezone: deps.eventTimezone,
    events: deps.events,
    maxWindowDays: deps.maxWindowDays,
    now,
  };

  return async function processReconcile(job: Job): Promise<ReconcileResult> {
    const data: ReconcileJob = parseJobData(ReconcileJobSchema, job, deps.logger);
    const startedMs = now();
    const sweepStart = new Date(startedMs).toISOString();
    const stored = await deps.redis.get(reconcileBaselineKey(deps.prefix));
    const baseline = stored && Number.isFinite(Date.parse(stored)) ? stored : undefined;

    const campaigns = await deps.genesys.listCampaigns({ pageSize });
    const ids = campaigns.map((c) => c.id);
    await publishCampaigns(deps.redis, deps.prefix, ids);

    const counts: Record<Counter, number> = {
      started: 0,
      duplicates: 0,
      baseline: 0,
      unchanged: 0,
      skipped: 0,
    };
    const count = (what: Counter) => {
      counts[what] += 1;
    };
    const sweep = { baseline, startedAt: sweepStart, since: data.since, count };
    await eachLimited(campaigns, concurrency, (c) => reconcileOne(c, sweep));

    // Only once every campaign is recorded: a first sweep that died half-way is simply redone.
    if (!baseline) await deps.redis.set(reconcileBaselineKey(deps.prefix), sweepStart, 'NX');
    await renewStates(ids);

    const result: ReconcileResult = {
      listed: campaigns.length,
      ...counts,
      firstSweep: !baseline,
      ...(data.since !== undefined ? { since: data.since } : {}),
    };
    deps.logger.info(
      {
        queue: job.queueName,
        jobId: job.id,
        requestedBy: data.requestedBy ?? 'schedule',
        ...result,
        ms: now() - startedMs,
      },
      'reconcile sweep done',
    );
    return result;
  };

  async function reconcileOne(
    c: Listed,
    sweep: {
      baseline: string | undefined;
      startedAt: string;
      since: string | undefined;
      count(w: Counter): void;
    },
  ) {
    const raw = c.campaignStatus?.trim();
    if (!raw) return sweep.count('skipped');
    const status = mapCampaignStatus(raw);
    const nowMs = now();
    const modifiedMs = c.dateModified ? Date.parse(c.dateModified) : Number.NaN;
    const modified = Number.isFinite(modifiedMs) ? new Date(modifiedMs).toISOString() : undefined;
    // A time further ahead than the intake trusts would be remembered as the campaign's latest state.
    if (modifiedMs > nowMs + horizon.maxFutureSeconds * 1000) return sweep.count('skipped');
    const terminal = status === 'completed' || status === 'stopped';
    const wanted = terminal && deps.triggerStatuses.includes(status);
    // The intake refuses finishes this old from any source; a sweep does not report them either.
    const tooOld = modifiedMs < nowMs - horizon.maxAgeDays * DAY_MS;
    const at = modified ?? new Date(nowMs).toISOString();

    // What the campaign counts as, unless a backfill decides it below.
    let verdict: Counter;
    // The first sweep's own start is its baseline: a finish while its listing was under way is no
    // history.
    const cutoff = sweep.baseline ?? sweep.startedAt;
    const newer = modified !== undefined && modified > cutoff;
    // A campaign another source has seen (its state is recorded) is no history even on the first
    // sweep: a finish since then is a transition the intake judges like any other.
    const firstSeen = (await deps.runs.campaignState(c.id)).status === undefined;
    if (sweep.baseline === undefined && firstSeen && !(wanted && newer && !tooOld)) {
      await remember(c, status, at);
      verdict = 'baseline';
    } else {
      if ((firstSeen && !(wanted && newer)) || (wanted && tooOld)) {
        await remember(c, status, at);
        verdict = firstSeen ? 'baseline' : 'skipped';
      } else {
        const outcome = await acceptEvent(acceptDeps, copyOf(c), { datedByCopy: true });
        verdict = verdictOf(outcome, wanted || !terminal);
        if (outcome.kind === 'invalid')
          deps.logger.debug(
            { campaignId: c.id, issues: outcome.issues },
            'reconcile: the intake refused the listed campaign',
          );
        if (outcome.kind === 'accepted')
          deps.logger.debug(
            { campaignId: c.id, runId: outcome.jobId, status },
            'reconcile: finish no source reported; run started',
          );
      }
    }
    const undecided = verdict !== 'started' && verdict !== 'duplicates';
    const backfilling =
      sweep.since !== undefined && modified !== undefined && modified >= sweep.since;
    if (undecided && wanted && !tooOld && backfilling)
      verdict = await backfill(c, status, modified, modifiedMs);
    sweep.count(verdict);
  }

  /**
   * What one intake outcome counts as: `started` and `duplicates` decide the finish. A Redis failure
   * stops the sweep: its job is retried.
   */
  function verdictOf(outcome: AcceptOutcome, relevant: boolean): Counter {
    switch (outcome.kind) {
      case 'accepted':
        return 'started';
      case 'duplicate':
        return 'duplicates';
      case 'unavailable':
        throw new SweepUnavailable(outcome.error);
      case 'ignored':
        return relevant ? 'unchanged' : 'skipped';
      case 'invalid':
      case 'fenced':
        return 'skipped';
    }
  }

  /**
   * The backfill of one finished campaign whose state already says finished (the intake saw no
   * transition, or it was only recorded): it gets a run unless one of its runs is this finish.
   * This finish is the campaign's last one: after its latest `on` (state.lastOn); with no `on`
   * remembered, any run of the same status counts as it (a backfill may miss a finish then, but
   * never reports one twice). When there is none, the finish goes to the intake as a direct finish
   * event (the guide shape: not a campaign copy, so no transition is needed), dated by
   * `dateModified`, with an id made of campaign, status and that time: a second backfill is the
   * same event (a duplicate), and the intake still joins any run finishing at or after it.
   */
  async function backfill(
    c: Listed,
    status: string,
    modified: string,
    modifiedMs: number,
  ): Promise<Counter> {
    const [state, known] = await Promise.all([
      deps.runs.campaignState(c.id),
      deps.runs.listForCampaign(c.id, 50),
    ]);
    const lastOn = state.lastOn;
    const reported = known.some(
      (r) => r.status === status && (lastOn === undefined || r.occurredAt > lastOn),
    );
    if (reported) return 'duplicates';
    const finish = {
      eventType: `outbound.campaign.${status}`,
      timestamp: modified,
      data: { campaignId: c.id, status },
    };
    const outcome = await acceptEvent(acceptDeps, finish, {
      webhookId: `reconcile.${c.id}.${status}.${modifiedMs}`,
    });
    if (outcome.kind === 'accepted')
      deps.logger.debug(
        { campaignId: c.id, runId: outcome.jobId, status, since: modified },
        'reconcile backfill: run started',
      );
    return verdictOf(outcome, true);
  }

  /** Remembers the campaign's status as a campaign copy would (no run). */
  async function remember(c: Listed, status: string, at: string) {
    await deps.runs.recordStatus(c.id, status, at, {
      version: c.version,
      transitionsOnly: true,
    });
  }

  /** Renews the retention of every listed campaign's state (a missing one stays missing). */
  async function renewStates(ids: string[]) {
    const ttl = Math.max(1, Math.ceil(deps.retentionSeconds));
    for (let i = 0; i < ids.length; i += 500) {
      const pipeline = deps.redis.pipeline();
      for (const id of ids.slice(i, i + 500)) pipeline.expire(deps.runs.keys.state(id), ttl);
      await pipeline.exec();
    }
  }
}

/**
 * Sets up (or, with `everyMs` 0, removes) the job scheduler that adds a sweep every `everyMs`. An
 * upsert by id: every worker process runs it at start and there is still one scheduler, keeping its
 * next run as it is while the interval is unchanged. A new scheduler's first sweep comes one
 * interval after it is created.
 */
export async function scheduleReconcile(
  queue: Queue<ReconcileJob>,
  everyMs: number,
  logger: Logger,
): Promise<void> {
  if (everyMs > 0) {
    await queue.upsertJobScheduler(
      RECONCILE_SCHEDULER_ID,
      { every: everyMs, startDate: Date.now() + everyMs },
      { name: 'sweep', data: { requestedBy: 'schedule' } },
    );
    logger.info({ everyMs }, 'reconcile sweep scheduled');
  } else if (await queue.removeJobScheduler(RECONCILE_SCHEDULER_ID)) {
    logger.info('reconcile sweep turned off (RECONCILE_EVERY_MINUTES=0); its scheduler removed');
  }
}

/** The Notification API message the platform sends for a campaign change, built from a listed campaign. */
function copyOf(c: Listed) {
  return {
    topicName: `v2.outbound.campaigns.${c.id}`,
    version: '2',
    eventBody: c,
    metadata: { CorrelationId: `reconcile-${c.dateModified ?? 'undated'}` },
  };
}

/** Runs `fn` on every item, at most `limit` at once; rejects with the first failure. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  await Promise.all(lanes);
}
