import { Hono } from 'hono';
import type { SimEnv } from '../http';
import type { SimState } from '../model/state';

/** A fixed id for the org's settings entity (the platform returns one per org). */
const SETTINGS_ID = '00000000-0000-4000-8000-0000000000aa';

/**
 * `GET /api/v2/outbound/settings` (SDK `OutboundSettings`): the org-wide Outbound settings, among
 * them `complianceAbandonRateDenominator` (`ALL_CALLS` or `CALLS_THAT_REACHED_QUEUE`) and
 * `abandonSeconds`, changed with the control API's settings. Behind the token and the rate limit
 * like every /api/v2 route (app.ts).
 */
export function outboundSettingsRoutes(state: SimState): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  app.get('/', (c) => {
    const s = state.settings;
    return c.json({
      id: SETTINGS_ID,
      name: 'Outbound Settings',
      version: s.outboundSettingsVersion,
      maxCallsPerAgent: 4,
      maxLineUtilization: 1,
      abandonSeconds: s.abandonSeconds,
      complianceAbandonRateDenominator: s.complianceAbandonRateDenominator,
      selfUri: '/api/v2/outbound/settings',
    });
  });
  return app;
}
