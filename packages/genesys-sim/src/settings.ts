import { SimError, type SimState } from './model/state';
import {
  COMPLIANCE_ABANDON_RATE_DENOMINATORS,
  type ComplianceAbandonRateDenominator,
  type FaultOptions,
  type SimSettings,
} from './options';

/**
 * A runtime change of settings. `faults` replaces the whole fault set; fault fields given at the
 * top level (`{ errorRate: 1 }`) are merged into the current one. `retryAfterSeconds` /
 * `maxIntervalDays` null clears them.
 */
export interface SettingsPatch extends FaultOptions {
  faults?: FaultOptions;
  tokenTtlSeconds?: number;
  rateLimitPerMinute?: number;
  tokenRateLimitPerMinute?: number;
  retryAfterHeader?: boolean;
  retryAfterSeconds?: number | null;
  analyticsLagMs?: number;
  analyticsLagJitterMs?: number;
  omitOptionalFields?: number;
  omitVersion?: boolean;
  maxIntervalDays?: number | null;
  notificationHeartbeatMs?: number;
  notificationChannelTtlMs?: number;
  notificationTopicLimit?: number;
  notificationChannelLimit?: number;
  socketClosingGraceMs?: number;
  /** `GET /api/v2/outbound/settings`: which calls the compliance abandon rate divides by. */
  complianceAbandonRateDenominator?: ComplianceAbandonRateDenominator;
  /** `GET /api/v2/outbound/settings`: the compliance abandon threshold in seconds. */
  abandonSeconds?: number;
}

/** Positive integer settings of the Notification API (they apply to what happens next). */
const NOTIFICATION_KEYS = [
  'notificationHeartbeatMs',
  'notificationChannelTtlMs',
  'notificationTopicLimit',
  'notificationChannelLimit',
  'socketClosingGraceMs',
] as const;

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
  if (patch.tokenTtlSeconds !== undefined)
    next.tokenTtlSeconds = positiveInt(patch.tokenTtlSeconds, 'tokenTtlSeconds');
  if (patch.rateLimitPerMinute !== undefined)
    next.rateLimitPerMinute = positiveInt(patch.rateLimitPerMinute, 'rateLimitPerMinute');
  if (patch.tokenRateLimitPerMinute !== undefined)
    next.tokenRateLimitPerMinute = positiveInt(
      patch.tokenRateLimitPerMinute,
      'tokenRateLimitPerMinute',
    );
  if (patch.retryAfterHeader !== undefined) {
    if (typeof patch.retryAfterHeader !== 'boolean')
      throw new SimError(400, 'retryAfterHeader must be a boolean');
    next.retryAfterHeader = patch.retryAfterHeader;
  }
  if (patch.retryAfterSeconds !== undefined)
    next.retryAfterSeconds =
      patch.retryAfterSeconds === null
        ? undefined
        : positiveInt(patch.retryAfterSeconds, 'retryAfterSeconds', 0);
  if (patch.analyticsLagMs !== undefined)
    next.analyticsLagMs = positiveInt(patch.analyticsLagMs, 'analyticsLagMs', 0);
  if (patch.analyticsLagJitterMs !== undefined)
    next.analyticsLagJitterMs = positiveInt(patch.analyticsLagJitterMs, 'analyticsLagJitterMs', 0);
  if (patch.omitOptionalFields !== undefined) {
    const p = patch.omitOptionalFields;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new SimError(400, 'omitOptionalFields must be in 0..1');
    next.omitOptionalFields = p;
  }
  if (patch.omitVersion !== undefined) {
    if (typeof patch.omitVersion !== 'boolean')
      throw new SimError(400, 'omitVersion must be a boolean');
    next.omitVersion = patch.omitVersion;
  }
  if (patch.maxIntervalDays !== undefined)
    next.maxIntervalDays =
      patch.maxIntervalDays === null
        ? undefined
        : positiveInt(patch.maxIntervalDays, 'maxIntervalDays');
  for (const key of NOTIFICATION_KEYS)
    if (patch[key] !== undefined) next[key] = positiveInt(patch[key], key);
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
