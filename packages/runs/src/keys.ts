/** Every Redis key the run store writes; all start with `${prefix}:runs:`. */
export interface RunKeys {
  event(eventId: string): string;
  active(campaignId: string): string;
  run(runId: string): string;
  campaign(campaignId: string): string;
  start(campaignId: string): string;
  /** Prefixes the Lua scripts complete themselves (keys they only learn inside Redis). */
  runPrefix: string;
  activePrefix: string;
}

export function runKeys(prefix: string): RunKeys {
  const base = `${prefix}:runs:`;
  return {
    event: (eventId) => `${base}evt:${eventId}`,
    active: (campaignId) => `${base}active:${campaignId}`,
    run: (runId) => `${base}run:${runId}`,
    campaign: (campaignId) => `${base}campaign:${campaignId}`,
    start: (campaignId) => `${base}start:${campaignId}`,
    runPrefix: `${base}run:`,
    activePrefix: `${base}active:`,
  };
}
