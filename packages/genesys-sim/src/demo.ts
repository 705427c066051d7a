import { completeCampaign, createCampaign, stopCampaign } from './model/campaigns';
import type { SimState } from './model/state';

/** Fixed ids so docs and scripts can name the demo campaigns. */
export const DEMO_CAMPAIGN_IDS = {
  /** Complete, with the guide's numbers: 1500 attempted, 450 connected, 120 s average handle. */
  guide: '6f1c2a9e-4b7d-4c1e-9a3f-2d8b5e0c7a11',
  /** Complete, seeded rates over 800 contacts, unanswered ones dialled again (more dials than contacts). */
  completed: '0b9d7e5c-3a2f-4e8d-8c6b-1f4a9e2d5b22',
  /** Stopped early (`off`): part of its list dialled. */
  stopped: 'c4e8a1f7-9d2b-4a6e-b5c3-7e0f2a8d1c33',
  /** `alwaysRunning`: dials, never completes by itself. */
  alwaysRunning: 'a2d6f9b3-1e7c-4f5a-9b8d-3c5e7a1f9d44',
} as const;

const MINUTE = 60_000;

/**
 * Finished demo campaigns whose conversations ended long enough ago to be in analytics: each
 * finished at least 15 minutes before start, and its last calls' after-call work (a few minutes at
 * most with these handle times) plus the default 2 s lag has passed, so `pnpm start` reports them
 * complete at once.
 */
export function seedDemoCampaigns(state: SimState): string[] {
  const now = state.now();
  createCampaign(state, {
    id: DEMO_CAMPAIGN_IDS.guide,
    name: 'Autumn Renewals',
    contactCount: 1500,
  });
  completeCampaign(state, DEMO_CAMPAIGN_IDS.guide, {
    outcomes: { attempted: 1500, connected: 450, avgHandleMs: 120_000 },
    durationSeconds: 70 * 60,
    endAt: now - 30 * MINUTE,
  });

  createCampaign(state, {
    id: DEMO_CAMPAIGN_IDS.completed,
    name: 'Winter Win-back',
    contactCount: 800,
  });
  completeCampaign(state, DEMO_CAMPAIGN_IDS.completed, {
    connectRate: 0.35,
    abandonRate: 0.02,
    avgHandleMs: 95_000,
    durationSeconds: 45 * 60,
    endAt: now - 120 * MINUTE,
  });

  createCampaign(state, {
    id: DEMO_CAMPAIGN_IDS.stopped,
    name: 'Spring Survey',
    contactCount: 600,
    dialingMode: 'progressive',
  });
  stopCampaign(state, DEMO_CAMPAIGN_IDS.stopped, {
    fraction: 0.5,
    durationSeconds: 30 * 60,
    endAt: now - 90 * MINUTE,
  });

  createCampaign(state, {
    id: DEMO_CAMPAIGN_IDS.alwaysRunning,
    name: 'Always-On Retention',
    contactCount: 200,
    alwaysRunning: true,
  });
  completeCampaign(state, DEMO_CAMPAIGN_IDS.alwaysRunning, {
    durationSeconds: 20 * 60,
    endAt: now - 15 * MINUTE,
  });

  return Object.values(DEMO_CAMPAIGN_IDS);
}
