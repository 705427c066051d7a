import {
  completeCampaign,
  createCampaign,
  expectedTotals,
  startCampaign,
  stopCampaign,
  type CompleteOptions,
  type CreateCampaignInput,
  type StopOptions,
} from './model/campaigns';
import type { RequestLogEntry, SimState } from './model/state';
import type { ExpectedTotals } from './model/types';
import { campaignView } from './model/views';
import type { SimSettings } from './options';
import { applySettings, type SettingsPatch } from './settings';

/** A campaign as the Genesys API shows it. */
export type CampaignView = ReturnType<typeof campaignView>;

/** What completing or stopping a campaign answers. */
export interface RunResult {
  campaign: CampaignView;
  expected: ExpectedTotals;
}

/** The control operations, shared by the `/__sim` routes and the Simulator helpers. */
export interface Control {
  createCampaign(input?: CreateCampaignInput): CampaignView;
  runToCompletion(id: string, opts?: CompleteOptions): RunResult;
  stopCampaign(id: string, opts?: StopOptions): RunResult;
  startCampaign(id: string): CampaignView;
  expected(id: string): ExpectedTotals;
  setFaults(patch: SettingsPatch): SimSettings;
  settings(): SimSettings;
  requestLog(): RequestLogEntry[];
  resetLog(): void;
  /** Invalidates every issued token (the next API call gets 401). */
  revokeTokens(): number;
}

export function createControl(state: SimState): Control {
  return {
    createCampaign: (input) => campaignView(createCampaign(state, input)),
    runToCompletion: (id, opts) => ({
      campaign: campaignView(completeCampaign(state, id, opts)),
      expected: expectedTotals(state, id),
    }),
    stopCampaign: (id, opts) => ({
      campaign: campaignView(stopCampaign(state, id, opts)),
      expected: expectedTotals(state, id),
    }),
    startCampaign: (id) => campaignView(startCampaign(state, id)),
    expected: (id) => expectedTotals(state, id),
    setFaults: (patch) => applySettings(state, patch),
    settings: () => state.settings,
    requestLog: () => state.requests.toArray(),
    resetLog: () => state.requests.clear(),
    revokeTokens: () => {
      const n = state.tokens.size;
      state.tokens.clear();
      return n;
    },
  };
}
