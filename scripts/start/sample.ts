import { buildFinishEvent, sampleCampaign, type SampleEvent } from '@wrapup/genesys-sim';
import { shellQuote } from './shell';

/** The guide's event shape for the sample campaign (what the banner's curl posts). */
export function sampleBody(sample: SampleEvent): Record<string, unknown> {
  return buildFinishEvent(
    sampleCampaign(sample),
    'guide',
    // The guide shape carries no event id; the ingest derives one from campaign, status and time.
    { eventId: 'unused' },
  );
}

/**
 * ONE copy-pasteable command that sends the sample event: curl with `x-api-key` when an API key
 * works, else `pnpm simulate --sample` (curl cannot produce a Standard Webhooks signature).
 */
export function sampleCommand(opts: {
  webhookUrl: string;
  apiKey: string | undefined;
  sample: SampleEvent;
}): string {
  if (opts.apiKey === undefined) return 'pnpm simulate --sample';
  return [
    'curl -sS -w "\\n" -X POST',
    shellQuote(opts.webhookUrl),
    '-H',
    shellQuote('content-type: application/json'),
    '-H',
    shellQuote(`x-api-key: ${opts.apiKey}`),
    '-d',
    shellQuote(JSON.stringify(sampleBody(opts.sample))),
  ].join(' ');
}
