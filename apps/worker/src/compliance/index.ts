import type { Redis } from 'ioredis';
import { COMPLIANCE_DENOMINATORS, type ComplianceDenominator, type Report } from '@wrapup/shared';
import type { RunStore } from '@wrapup/runs';
import * as v from 'valibot';
import type {
  ConfiguredCampaign,
  GenesysClient,
  OutboundSettings,
} from '../clients/genesys/client';
import { ConfiguredCampaignSchema } from '../clients/genesys/schemas';
import type { ConfigurationArchive, WarehouseSink } from '../clients/sinks/sink';
import type { Logger } from '../logger';
import { computeCompliance } from './compute';

export { computeCompliance, RULES } from './compute';

/** A campaign version's configuration stays cached past the final re-check (FINAL_REPORT_AFTER, 50 h). */
export const CONFIG_CACHE_TTL_SECONDS = 8 * 24 * 3600;
/** The cache entry of the campaign as its latest run's lookup returned it (see `remember`). */
const SEEN = 'seen';
/** The org's Outbound Settings are read again after this long (they change rarely). */
export const SETTINGS_CACHE_TTL_SECONDS = 300;

/**
 * The denominator used when the org's settings do not give one: calls that reached the queue, the
 * smaller number, so the rate is the higher of the two and an unknown setting never hides a breach.
 */
export const FALLBACK_DENOMINATOR: ComplianceDenominator = 'CALLS_THAT_REACHED_QUEUE';

export const isKnownDenominator = (s: string | undefined): s is ComplianceDenominator =>
  COMPLIANCE_DENOMINATORS.includes(s as ComplianceDenominator);

export interface ComplianceDeps {
  /**
   * The worker's Genesys client: its calls share the process's OAuth token, the rate limiter and
   * the retries with every other Genesys call.
   */
  genesys: Pick<GenesysClient, 'getCampaignConfiguration' | 'getOutboundSettings'>;
  /** Where the intake remembers each campaign's latest copy `version` (`campaignState`). */
  runs: Pick<RunStore, 'campaignState'>;
  redis: Redis;
  prefix: string;
  /** ABANDON_RATE_LIMIT (0: no check). */
  abandonRateLimit: number;
  logger: Logger;
  configTtlSeconds?: number;
  settingsTtlSeconds?: number;
  now?: () => number;
}

export interface Assessment {
  /** The report with its `compliance` figures (as it was when they cannot be computed). */
  report: Report;
  /** The configuration to archive with it (absent when Genesys gave no campaign version). */
  archive?: ConfigurationArchive;
  /** Genesys calls this assessment made (0 when everything came from the cache). */
  genesysCalls: number;
}

export interface ComplianceChecker {
  /**
   * Adds the compliance figures to a report and says what configuration to archive with it. With
   * `previous` (a final re-check's write) the revision it re-checks decides the configuration and
   * the rule (no Genesys call); the rate is recomputed with the new figures.
   */
  assess(report: Report, opts?: { previous?: Report }): Promise<Assessment>;
  /** Archives once per sink, campaign and version (a Redis mark skips the warehouse after that). */
  archive(sink: WarehouseSink, archive: ConfigurationArchive): Promise<'archived' | 'known'>;
  /**
   * Keeps the campaign as the analytics stage's lookup returned it (the whole `Campaign`, from
   * the batched `GET /api/v2/outbound/campaigns?id=` or the single read), so the assessment of
   * its report needs no second call for the same object. Best effort: never rejects; a value that
   * is not a campaign with a version is not kept.
   */
  remember(campaign: unknown): Promise<void>;
}

export function createComplianceChecker(deps: ComplianceDeps): ComplianceChecker {
  const now = deps.now ?? Date.now;
  const configTtl = deps.configTtlSeconds ?? CONFIG_CACHE_TTL_SECONDS;
  const settingsTtl = deps.settingsTtlSeconds ?? SETTINGS_CACHE_TTL_SECONDS;
  const key = (...parts: (string | number)[]) => [deps.prefix, 'compliance', ...parts].join(':');
  const log = deps.logger.child({ component: 'compliance' });

  async function cachedJson<T>(k: string): Promise<T | undefined> {
    const raw = await deps.redis.get(k);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as T;
    } catch {
      return undefined;
    }
  }

  /** The configuration in force: by the version the intake last saw, from the cache; else asked. */
  async function configuration(
    campaignId: string,
  ): Promise<{ campaign: ConfiguredCampaign | undefined; calls: number }> {
    const [state, seen] = await Promise.all([
      deps.runs.campaignState(campaignId),
      cachedJson<ConfiguredCampaign>(key('campaign', campaignId, SEEN)),
    ]);
    const known = state.version;
    if (known !== undefined) {
      const cached = await cachedJson<ConfiguredCampaign>(key('campaign', campaignId, known));
      if (cached !== undefined) return { campaign: cached, calls: 0 };
    }
    // the run's own lookup (see remember): the version the intake saw, or any when it saw none
    if (seen?.version !== undefined && (known === undefined || seen.version === known))
      return { campaign: seen, calls: 0 };
    const campaign = await deps.genesys.getCampaignConfiguration(campaignId);
    if (campaign?.version !== undefined) {
      if (known !== undefined && known !== campaign.version)
        log.info(
          { campaignId, seen: known, now: campaign.version },
          'campaign version differs from the last copy seen; archiving the version Genesys returns',
        );
      await deps.redis.set(
        key('campaign', campaignId, campaign.version),
        JSON.stringify(campaign),
        'EX',
        configTtl,
      );
    }
    return { campaign, calls: 1 };
  }

  // One read of the settings at a time in this process: the reports a burst delivers together all
  // miss the cache at once, and would otherwise each ask Genesys (11 calls in the burst bench).
  let settingsInFlight: Promise<OutboundSettings> | undefined;
  async function outboundSettings(): Promise<{ settings: OutboundSettings; calls: number }> {
    const k = key('outbound-settings');
    const cached = await cachedJson<OutboundSettings>(k);
    if (cached !== undefined) return { settings: cached, calls: 0 };
    if (settingsInFlight) return { settings: await settingsInFlight, calls: 0 };
    const read = (async () => {
      const settings = await deps.genesys.getOutboundSettings();
      await deps.redis.set(k, JSON.stringify(settings), 'EX', settingsTtl);
      return settings;
    })();
    settingsInFlight = read;
    try {
      return { settings: await read, calls: 1 };
    } finally {
      settingsInFlight = undefined;
    }
  }

  return {
    async assess(report, opts = {}) {
      const before = opts.previous?.compliance;
      if (before !== undefined) {
        const compliance = computeCompliance(report, {
          denominator: before.denominator,
          campaignTargetPercent: before.campaignTarget == null ? null : before.campaignTarget * 100,
          abandonRateLimit: deps.abandonRateLimit,
          configVersion: before.configVersion,
        });
        return { report: compliance ? { ...report, compliance } : report, genesysCalls: 0 };
      }
      const [{ campaign, calls: campaignCalls }, { settings, calls: settingsCalls }] =
        await Promise.all([configuration(report.campaignId), outboundSettings()]);
      const given = settings.complianceAbandonRateDenominator;
      const known = isKnownDenominator(given);
      if (!known)
        log.warn(
          { campaignId: report.campaignId, complianceAbandonRateDenominator: given },
          `outbound settings give no known compliance denominator; using ${FALLBACK_DENOMINATOR}`,
        );
      const version = campaign?.version ?? null;
      const compliance = computeCompliance(report, {
        denominator: known ? given : FALLBACK_DENOMINATOR,
        denominatorAssumed: !known,
        campaignTargetPercent: campaign?.abandonRate,
        abandonRateLimit: deps.abandonRateLimit,
        configVersion: version,
      });
      const archive: ConfigurationArchive | undefined =
        campaign !== undefined && version !== null
          ? {
              campaignId: report.campaignId,
              version,
              configuration: campaign,
              outboundSettings: settings,
              archivedAt: new Date(now()).toISOString(),
            }
          : undefined;
      if (archive === undefined)
        log.warn(
          { campaignId: report.campaignId, found: campaign !== undefined },
          'no campaign version from Genesys; the configuration is not archived',
        );
      return {
        report: compliance ? { ...report, compliance } : report,
        ...(archive && { archive }),
        genesysCalls: campaignCalls + settingsCalls,
      };
    },

    async remember(campaign) {
      const parsed = v.safeParse(ConfiguredCampaignSchema, campaign);
      if (!parsed.success || parsed.output.version === undefined) return;
      await deps.redis
        .set(
          key('campaign', parsed.output.id, SEEN),
          JSON.stringify(parsed.output),
          'EX',
          configTtl,
        )
        .catch((err: unknown) =>
          log.warn({ err }, 'could not keep the looked-up campaign; its report will ask again'),
        );
    },

    async archive(sink, archive) {
      const mark = key('archived', sink.kind, archive.campaignId, archive.version);
      if ((await deps.redis.exists(mark)) === 1) return 'known';
      await sink.archiveConfiguration(archive);
      await deps.redis.set(mark, '1', 'EX', configTtl);
      return 'archived';
    },
  };
}
