/**
 * Every Redis key the run store writes; all start with `${prefix}:runs:`. On a Redis Cluster the
 * prefix is the analytics queue's (`wrapup:{analytics}`, see KeyLayout in redis-topology.ts): the
 * intake script writes these keys and adds the analytics job in one script, so they share its slot.
 */
export interface RunKeys {
  /**
   * An event id as seen for one campaign: senders' ids (a `webhook-id`) are not unique across
   * campaigns, so the same id for two campaigns is two events.
   */
  event(campaignId: string, eventId: string): string;
  active(campaignId: string): string;
  run(runId: string): string;
  campaign(campaignId: string): string;
  /**
   * The campaign's state hash: last status and version seen, first and last `on`, last completion,
   * and `runs`, a bound on how many runs the campaign index holds (see INTAKE_LUA).
   */
  state(campaignId: string): string;
  /**
   * The recent runs of every campaign: a sorted set of run ids scored by creation time (ms),
   * written by the intake, bounded (MAX_RECENT_RUNS) and expiring with the runs.
   */
  recent: string;
  /** The report a run delivered, as the console reads it (compact JSON, expiring with the run). */
  reportCopy(runId: string): string;
  /** Prefixes the Lua scripts complete themselves (keys they only learn inside Redis). */
  runPrefix: string;
  activePrefix: string;
}

export function runKeys(prefix: string): RunKeys {
  const base = `${prefix}:runs:`;
  return {
    // The campaign id's length keeps the pair unambiguous (both may contain ':').
    event: (campaignId, eventId) => `${base}evt:${campaignId.length}:${campaignId}:${eventId}`,
    active: (campaignId) => `${base}active:${campaignId}`,
    run: (runId) => `${base}run:${runId}`,
    campaign: (campaignId) => `${base}campaign:${campaignId}`,
    state: (campaignId) => `${base}state:${campaignId}`,
    recent: `${base}recent`,
    reportCopy: (runId) => `${base}delivered:${runId}`,
    runPrefix: `${base}run:`,
    activePrefix: `${base}active:`,
  };
}
