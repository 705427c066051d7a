import { RUN_STAGES, type RunRecord, type RunStage } from '@wrapup/shared';

/** A run as stored: the shared RunRecord plus what a replay needs to rebuild the job. */
export interface StoredRun extends RunRecord {
  createdAt: string;
  /** True once the analytics job is known to be in the queue (or a worker touched the run). */
  enqueued: boolean;
  shape?: string;
  durationSeconds?: number;
  contactCount?: number;
  /** The remembered `on` time used as the interval start, if any. */
  startedAt?: string;
}

export type StagePatch = {
  reportId?: string;
  expectedCount?: number | null;
  observedCount?: number;
  outcome?: string;
  lastError?: string;
};

const isStage = (s: string | undefined): s is RunStage =>
  s !== undefined && (RUN_STAGES as readonly string[]).includes(s);

const num = (s: string | undefined) => (s === undefined || s === '' ? undefined : Number(s));

/** Turns a run hash (HGETALL) into a StoredRun; undefined when the hash is empty or broken. */
export function decodeRun(h: Record<string, string>): StoredRun | undefined {
  const { runId, campaignId, status, occurredAt, stage } = h;
  if (!runId || !campaignId || !occurredAt || !isStage(stage)) return undefined;
  if (status !== 'completed' && status !== 'stopped') return undefined;
  const stages: Record<string, string> = {};
  for (const [field, value] of Object.entries(h)) {
    if (field.startsWith('t:')) stages[field.slice(2)] = value;
  }
  let eventIds: string[] = [];
  try {
    const parsed: unknown = JSON.parse(h.eventIds ?? '[]');
    if (Array.isArray(parsed)) eventIds = parsed.filter((x): x is string => typeof x === 'string');
  } catch {
    eventIds = [];
  }
  const run: StoredRun = {
    runId,
    campaignId,
    status,
    occurredAt,
    stage,
    stages,
    eventIds,
    createdAt: h.createdAt ?? stages.received ?? occurredAt,
    enqueued: h.enqueued === '1',
  };
  if (h.reportId !== undefined) run.reportId = h.reportId;
  if (h.expectedCount !== undefined) run.expectedCount = h.expectedCount === 'null' ? null : num(h.expectedCount);
  if (h.observedCount !== undefined) run.observedCount = num(h.observedCount);
  if (h.outcome !== undefined) run.outcome = h.outcome;
  if (h.lastError !== undefined) run.lastError = h.lastError;
  if (h.replays !== undefined) run.replays = num(h.replays);
  if (h.shape !== undefined) run.shape = h.shape;
  if (h.durationSeconds !== undefined) run.durationSeconds = num(h.durationSeconds);
  if (h.contactCount !== undefined) run.contactCount = num(h.contactCount);
  if (h.startedAt !== undefined) run.startedAt = h.startedAt;
  return run;
}

/** Field/value pairs for a stage patch (undefined entries are left alone). */
export function encodePatch(patch: StagePatch): string[] {
  const out: string[] = [];
  if (patch.reportId !== undefined) out.push('reportId', patch.reportId);
  if (patch.expectedCount !== undefined) out.push('expectedCount', patch.expectedCount === null ? 'null' : String(patch.expectedCount));
  if (patch.observedCount !== undefined) out.push('observedCount', String(patch.observedCount));
  if (patch.outcome !== undefined) out.push('outcome', patch.outcome);
  if (patch.lastError !== undefined) out.push('lastError', patch.lastError.slice(0, 2000));
  return out;
}
