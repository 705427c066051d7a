/**
 * A replay's analytics job id: a fresh id `${runId}-replay-<n>` carrying the same runId, so the
 * worker rewrites the same report. `markReplay` records it on the run (its live job), and the intake
 * checks that job when judging whether the run can still finish (see INTAKE_LUA).
 */
export const REPLAY_JOB_INFIX = '-replay-';

export const replayJobId = (runId: string, n: number) => `${runId}${REPLAY_JOB_INFIX}${n}`;
