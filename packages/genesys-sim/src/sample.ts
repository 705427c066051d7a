import type { FinishedCampaign } from './events';

/** The guide demo campaign's finish that `pnpm start` records in data/dev-session.json as the sample event. */
export interface SampleEvent {
  campaignId: string;
  name: string;
  /** ISO UTC of the status change (the campaign's real completion time in the simulator). */
  occurredAt: string;
  durationSeconds: number;
  contactCount: number;
}

/** The finished campaign a sample event describes (always `complete`), for deliverFinish/buildFinishEvent. */
export function sampleCampaign(sample: SampleEvent): FinishedCampaign {
  return {
    id: sample.campaignId,
    name: sample.name,
    status: 'complete',
    occurredAt: sample.occurredAt,
    durationSeconds: sample.durationSeconds,
    contactCount: sample.contactCount,
  };
}
