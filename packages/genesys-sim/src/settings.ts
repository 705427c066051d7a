import { SimError, type SimState } from './model/state';
import {
  COMPLIANCE_ABANDON_RATE_DENOMINATORS,
  type FaultOptions,
  type SimSettings,
} from './options';

/**
 * A runtime change of settings. `faults` replaces the whole fault set; fault fields given at the
 * top level (`{ errorRate: 1 }`) are merged into the current one. `retryAfterSeconds` /
 * `maxIntervalDays` null clears them.
 */
export interface SettingsPatch
  extends
    FaultOptions,
    Partial<
      Omit<
        SimSettings,
        'faults' | 'outboundSettingsVersion' | 'retryAfterSeconds' | 'maxIntervalDays'
      >
    > {
  faults?: FaultOptions;
  retryAfterSeconds?: number | null;
  maxIntervalDays?: number | null;
}

/** Integer settings and the least each may be (they apply to what happens next). */
const INTEGER_SETTINGS = {
  tokenTtlSeconds: 1,
  rateLimitPerMinute: 1,
  tokenRateLimitPerMinute: 1,
  analyticsLagMs: 0,
  analyticsLagJitterMs: 0,
  notificationHeartbeatMs: 1,
  notificationChannelTtlMs: 1,
  notificationTopicLimit: 1,
  notificationChannelLimit: 1,
  socketClosingGraceMs: 1,
} as const;

/** Integer settings that null clears, and the least each may be otherwise. */
const CLEARABLE_SETTINGS = { retryAfterSeconds: 0, maxIntervalDays: 1 } as const;

const BOOLEAN_SETTINGS = ['retryAfterHeader', 'omitVersion', 'refuseUnknownIds'] as const;

const entries = <T extends object>(o: T) => Object.entries(o) as [keyof T, number][];

const FAULT_KEYS = [
  'errorRate',
  'errorStatus',
  'latencyMs',
  'dropRate',
  'failNext',
  'dropNext',
  'includeToken',
] as const;

function checkFaults(f: FaultOptions): FaultOptions {
  const rate = (v: unknown) => v === undefined || (typeof v === 'number' && v >= 0 && v <= 1);
  const count = (v: unknown) =>
    v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 0);
  if (!rate(f.errorRate)) throw new SimError(400, 'errorRate must be in 0..1');
  if (!rate(f.dropRate)) throw new SimError(400, 'dropRate must be in 0..1');
  if (!count(f.latencyMs)) throw new SimError(400, 'latencyMs must be an integer >= 0');
  if (!count(f.failNext)) throw new SimError(400, 'failNext must be an integer >= 0');
  if (!count(f.dropNext)) throw new SimError(400, 'dropNext must be an integer >= 0');
  if (f.errorStatus !== undefined && ![500, 502, 503, 504].includes(f.errorStatus))
    throw new SimError(400, 'errorStatus must be 500, 502, 503 or 504');
  if (f.includeToken !== undefined && typeof f.includeToken !== 'boolean')
    throw new SimError(400, 'includeToken must be a boolean');
  return f;
}

function positiveInt(v: unknown, name: string, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new SimError(400, `${name} must be an integer >= ${min}`);
  return v;
}

/** Validates the whole patch first, then applies it; answers the new settings. */
export function applySettings(state: SimState, patch: SettingsPatch): SimSettings {
  if (typeof patch !== 'object' || patch === null)
    throw new SimError(400, 'settings must be a JSON object');
  const next: SimSettings = { ...state.settings, faults: { ...state.settings.faults } };
  if (patch.faults !== undefined) next.faults = checkFaults({ ...patch.faults });
  const topLevel: FaultOptions = {};
  for (const key of FAULT_KEYS)
    if (patch[key] !== undefined) Object.assign(topLevel, { [key]: patch[key] });
  next.faults = checkFaults({ ...next.faults, ...topLevel });
  for (const [key, min] of entries(INTEGER_SETTINGS)) {
    const v = patch[key];
    if (v !== undefined) next[key] = positiveInt(v, key, min);
  }
  for (const [key, min] of entries(CLEARABLE_SETTINGS)) {
    const v = patch[key];
    if (v !== undefined) next[key] = v === null ? undefined : positiveInt(v, key, min);
  }
  for (const key of BOOLEAN_SETTINGS) {
    const v = patch[key];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw new SimError(400, `${key} must be a boolean`);
    next[key] = v;
  }
  if (patch.omitOptionalFields !== undefined) {
    const p = patch.omitOptionalFields;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new SimError(400, 'omitOptionalFields must be in 0..1');
    next.omitOptionalFields = p;
  }
  let outbound = false;
  if (patch.complianceAbandonRateDenominator !== undefined) {
    if (!COMPLIANCE_ABANDON_RATE_DENOMINATORS.includes(patch.complianceAbandonRateDenominator))
      throw new SimError(
        400,
        `complianceAbandonRateDenominator must be one of ${COMPLIANCE_ABANDON_RATE_DENOMINATORS.join(', ')}`,
      );
    next.complianceAbandonRateDenominator = patch.complianceAbandonRateDenominator;
    outbound = true;
  }
  if (patch.abandonSeconds !== undefined) {
    const s = patch.abandonSeconds;
    if (typeof s !== 'number' || !(s >= 0)) throw new SimError(400, 'abandonSeconds must be >= 0');
    next.abandonSeconds = s;
    outbound = true;
  }
  if (outbound) next.outboundSettingsVersion = state.settings.outboundSettingsVersion + 1;
  state.settings = next;
  return next;
}
