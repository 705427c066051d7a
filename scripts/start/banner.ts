import type { DevSession } from './session';

export interface BannerInput {
  session: DevSession;
  sessionFile: string;
  sampleCommand: string;
  /** The user's own Genesys org (no simulator, no demo campaign). */
  ownGenesys: boolean;
  logLevel: string;
  /** The live demo campaign is on its way (simulator + Notification API listener). */
  liveDemo?: { afterMs: number } | undefined;
}

/** The text `pnpm start` prints once everything listens. */
export function banner(b: BannerInput): string {
  const s = b.session;
  const auth = s.apiKey !== undefined ? `x-api-key: ${s.apiKey}` : 'signed with WEBHOOK_SECRET';
  const sampleRuns = s.sample
    ? `${s.adminUrl}/admin/campaigns/${s.sample.campaignId}/runs`
    : undefined;
  const lines = [
    '',
    `wrapup is running: ingest + worker${b.ownGenesys ? ' against your Genesys Cloud org' : ' + simulated Genesys Cloud'}`,
    '',
    `  webhook    ${s.webhookUrl}   (${auth})`,
    `  dashboard  ${s.dashboardUrl}   user ${s.dashboard.user} / password ${s.dashboard.password}`,
    `  runs API   ${s.adminUrl}/admin/campaigns/<campaignId>/runs   (same Basic auth)`,
    ...(s.simUrl ? [`  simulator  ${s.simUrl}   (Genesys Cloud login + API, demo campaigns)`] : []),
    `  warehouse  ${s.warehouse}`,
    `  session    ${b.sessionFile}   (credentials for pnpm simulate)`,
    '',
  ];
  if (s.sample && !b.ownGenesys) {
    lines.push(
      `Send a sample event ("${s.sample.name}", the guide's campaign: 1500 attempted, 450 connected, 120 s average handle):`,
      '',
      `  ${b.sampleCommand}`,
      '',
      'then see its run:',
      '',
      `  curl -sS -u ${s.dashboard.user}:${s.dashboard.password} ${sampleRuns ?? ''}`,
    );
  } else {
    lines.push(
      'Send a sample event (replace YOUR-CAMPAIGN-ID with a finished campaign of your org):',
      '',
      `  ${b.sampleCommand}`,
    );
  }
  if (b.liveDemo)
    lines.push(
      '',
      `Or just watch: a live demo campaign finishes in the simulator in ${Math.round(b.liveDemo.afterMs / 1000)} s, and its report`,
      'arrives through the Notification API listener (GENESYS_EVENT_SOURCE=websocket) with no webhook call.',
    );
  lines.push(
    '',
    s.simUrl
      ? 'Next, try: pnpm simulate   (finishes a few simulated campaigns, duplicates included, and shows where their reports landed)'
      : 'pnpm simulate needs the simulator: run pnpm start without GENESYS_CLIENT_ID to try it',
    '',
    `Logs below are JSON at level ${b.logLevel} (set LOG_LEVEL=info for more). Ctrl-C stops everything.`,
    '',
  );
  return lines.join('\n');
}
