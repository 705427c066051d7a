import { setTimeout as sleep } from 'node:timers/promises';
import type { RunStore } from '@wrapup/runs';
import type { Simulator } from '@wrapup/genesys-sim';

/** The live demo campaign `pnpm start` runs in the simulator once everything listens. */
export const LIVE_DEMO = {
  id: 'demo-live-0000-4000-8000-000000000001',
  name: 'Live demo: finishes a few seconds after start',
  contacts: 120,
} as const;

export interface LiveDemoOptions {
  sim: Simulator;
  runs: RunStore;
  /** How long after the start the campaign finishes. */
  finishAfterMs: number;
  /** Gives up waiting for the report after this long. */
  timeoutMs: number;
  /** One line to the terminal (the banner's stdout). */
  say: (line: string) => void;
  signal: AbortSignal;
}

/**
 * Turns a fresh simulated campaign `on`, lets it dial for a minute of simulated time and finish
 * `finishAfterMs` later, then waits for its run to be delivered and says so. Nothing posts to the
 * webhook: the finish reaches wrapup only through the Notification API listener (or, if its copy
 * were lost, the reconciliation sweep), which is the point of the demo.
 */
export async function runLiveDemo(o: LiveDemoOptions): Promise<void> {
  const existing = o.sim.state.campaigns.get(LIVE_DEMO.id);
  // a restarted `pnpm start` keeps no simulator state, so this is the first run of the demo
  if (!existing)
    await o.sim.createCampaign({
      id: LIVE_DEMO.id,
      name: LIVE_DEMO.name,
      contactCount: LIVE_DEMO.contacts,
      status: 'on',
    });
  await sleep(o.finishAfterMs, undefined, { signal: o.signal });
  await o.sim.runToCompletion(LIVE_DEMO.id, { durationSeconds: 60, avgHandleMs: 1500 });
  o.say(
    `wrapup: "${LIVE_DEMO.name}" just finished in the simulator; its finish travels over the Notification API WebSocket, no webhook call`,
  );
  const deadline = Date.now() + o.timeoutMs;
  while (Date.now() < deadline) {
    await sleep(500, undefined, { signal: o.signal });
    const [run] = await o.runs.listForCampaign(LIVE_DEMO.id, 1);
    if (run?.stage === 'delivered' || run?.stage === 'incomplete') {
      o.say(
        `wrapup: its report is in the warehouse: run ${run.runId}, report ${run.reportId ?? '?'}, ` +
          `${run.observedCount ?? '?'} calls attempted, stage ${run.stage}`,
      );
      return;
    }
  }
  o.say(
    `wrapup: the live demo's report has not arrived within ${Math.round(o.timeoutMs / 1000)} s; see the runs API for campaign ${LIVE_DEMO.id}`,
  );
}
