import * as v from 'valibot';

export const REPORT_GENERATED_BY = 'automated-reporting-service';
/** 2.1: the v2.0 fields unchanged, plus abandons, connect rate, talk/hold/ACW, wrap-up codes, completeness. */
export const REPORT_VERSION = '2.1';

const count = () => v.pipe(v.number(), v.integer(), v.minValue(0));
const ratio = () => v.pipe(v.number(), v.minValue(0));

/** How the worker judged the analytics complete (or why it stopped waiting). */
export const COMPLETENESS_VERDICTS = [
  /** every condition held: enough attempts, every connected call handled or abandoned, counts settled */
  'settled',
  /** the wait ran out first; the report is written as incomplete */
  'max-wait',
  /**
   * the final re-check after Genesys's reprocessing window (FINAL_REPORT_AFTER): the same window
   * queried once more, without waiting (the data is old); the conditions are as found then
   */
  'final-recheck',
] as const;

export const CompletenessSchema = v.object({
  verdict: v.picklist(COMPLETENESS_VERDICTS),
  /** The conditions the rule required, as configured (ANALYTICS_SETTLE_MS, ANALYTICS_REQUIRE_HANDLED). */
  rule: v.object({ settleMs: count(), requireHandled: v.boolean() }),
  /** Contacts the campaign said it called (progress numberOfContactsCalled or the event's contactCount); null when unknown. */
  expectedContacts: v.nullable(count()),
  /** Where expectedContacts came from. */
  expectedFrom: v.picklist(['event', 'progress', 'unknown']),
  /** Attempts reached at least the contacts called. */
  attemptsReachedContacts: v.boolean(),
  /** Every connected call had its handle time (or was abandoned): after-call work is in. */
  allConnectedHandled: v.boolean(),
  /** How long the counts had been unchanged at the last check. */
  stableForMs: count(),
  checks: count(),
  /** Only on a final re-check: the revision it re-checked. */
  recheck: v.optional(
    v.object({
      previousRevision: v.pipe(v.number(), v.integer(), v.minValue(1)),
      previousVerdict: v.optional(v.picklist(COMPLETENESS_VERDICTS)),
      /** When the re-checked revision was generated (ISO UTC). */
      previousGeneratedAt: v.string(),
    }),
  ),
});
export type Completeness = v.InferOutput<typeof CompletenessSchema>;

/** The UTC window the analytics were queried over, and why it starts and ends where it does. */
export const WindowSchema = v.object({
  start: v.string(),
  end: v.string(),
  /**
   * `duration`: the event's durationSeconds; `first-start`: the run's first `on`; `lookback`:
   * DEFAULT_LOOKBACK_HOURS; `clamped`: the start asked for lay more than MAX_WINDOW_DAYS before the end.
   */
  startFrom: v.picklist(['duration', 'first-start', 'lookback', 'clamped']),
  /** `tail`: finish + ANALYTICS_TAIL_MINUTES; `resumed`: cut where the campaign was turned on again. */
  endFrom: v.picklist(['tail', 'resumed']),
});
export type ReportWindow = v.InferOutput<typeof WindowSchema>;

/**
 * One UTC hour of the report's window: what the aggregates query counted in it (its
 * `granularity: 'PT1H'` buckets, see hourly.ts). Hours without a call are there with zeros.
 */
export const HourlyPointSchema = v.object({
  /** ISO start of the UTC hour (`2024-05-01T10:00:00.000Z`). */
  hour: v.string(),
  /** nOutboundAttempted count in this hour. */
  attempted: count(),
  /** nOutboundConnected count in this hour. */
  connected: count(),
  /** nOutboundAbandoned count in this hour. */
  abandoned: count(),
});
export type HourlyPoint = v.InferOutput<typeof HourlyPointSchema>;

/** Which calls the compliance abandon rate divides by (the org's Outbound Settings). */
export const COMPLIANCE_DENOMINATORS = ['ALL_CALLS', 'CALLS_THAT_REACHED_QUEUE'] as const;
export type ComplianceDenominator = (typeof COMPLIANCE_DENOMINATORS)[number];

/**
 * The compliance abandon rate and its check (added after v2.1, optional: older readers ignore it).
 * Computed in the warehouse stage from the report's figures and the configuration archived with it
 * (see the README, "Compliance").
 */
export const ComplianceSchema = v.object({
  /** abandonedCalls / the denominator's calls (0 when there are none). */
  abandonRate: ratio(),
  /** The org's `complianceAbandonRateDenominator` the rate was computed with. */
  denominator: v.picklist(COMPLIANCE_DENOMINATORS),
  /** The formula in words, e.g. `abandoned / attempted (ALL_CALLS: every call placed)`. */
  rule: v.string(),
  /** The ceiling it was checked against (a fraction); null when the check is off (ABANDON_RATE_LIMIT=0). */
  limit: v.nullable(ratio()),
  /** Which ceiling was the lower: the campaign's own `abandonRate` target or ABANDON_RATE_LIMIT. */
  limitSource: v.nullable(v.picklist(['campaign', 'ABANDON_RATE_LIMIT'])),
  /** The campaign's `abandonRate` target as a fraction (Genesys gives a percentage), if it has one. */
  campaignTarget: v.optional(v.nullable(ratio())),
  /** The compliance abandon rate is above `limit`. */
  over: v.boolean(),
  /** The campaign `version` whose configuration was archived with the report (null: none known). */
  configVersion: v.nullable(v.pipe(v.number(), v.integer())),
});
export type Compliance = v.InferOutput<typeof ComplianceSchema>;

export const ReportSchema = v.object({
  reportId: v.pipe(v.string(), v.startsWith('rpt-')),
  campaignId: v.string(),
  completionTimestamp: v.string(),
  metrics: v.object({
    totalCallsAttempted: count(),
    successfulContacts: count(),
    contactRate: ratio(),
    avgHandleTimeSeconds: ratio(),
    status: v.picklist(['completed', 'stopped']),
    /** v2.1 (optional so a v2.0 report still in a queue stays valid). nOutboundConnected: the honest name of successfulContacts. */
    connectedCalls: v.optional(count()),
    /** connectedCalls / totalCallsAttempted (the same number as contactRate, named for what it is). */
    connectRate: v.optional(ratio()),
    /** nOutboundAbandoned: connected calls no agent took. */
    abandonedCalls: v.optional(count()),
    /** abandonedCalls / connectedCalls (0 when nothing connected). */
    abandonRate: v.optional(ratio()),
    /** tHandle count: conversations an agent handled. */
    handledCalls: v.optional(count()),
    avgTalkSeconds: v.optional(ratio()),
    avgHoldSeconds: v.optional(ratio()),
    avgAcwSeconds: v.optional(ratio()),
  }),
  metadata: v.object({ generatedBy: v.string(), version: v.string() }),
  /** Added fields (extended, never renamed: warehouse rows and users rely on the v2.0 names). */
  endTime: v.nullable(v.string()),
  dataComplete: v.boolean(),
  expectedCount: v.nullable(v.number()),
  observedCount: v.number(),
  waitedMs: v.number(),
  interval: v.string(),
  generatedAt: v.string(),
  /** v2.1: handled conversations by wrap-up code, most first (code "(none)" when an agent set none). */
  wrapUpCodes: v.optional(v.array(v.object({ code: v.string(), count: count() }))),
  completeness: v.optional(CompletenessSchema),
  window: v.optional(WindowSchema),
  /**
   * 1 for the first report of a run; +1 for each later write of it (the final re-check, a replay).
   * The warehouse row never goes back to a lower revision, nor from final to provisional.
   */
  revision: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  /** True once re-checked after Genesys's reprocessing window (FINAL_REPORT_AFTER), and on every later revision. */
  final: v.optional(v.boolean()),
  /** The campaign's name in Genesys Cloud, when the worker knew it (optional: added after v2.1). */
  campaignName: v.optional(v.string()),
  /**
   * Attempts, connects and abandons per UTC hour across the window, oldest first (optional:
   * added after v2.1; reports built before it, and v2.0 ones, have none).
   */
  hourly: v.optional(v.array(HourlyPointSchema)),
  /**
   * The compliance abandon rate, its limit and whether it is over (optional: added after v2.1,
   * written by the warehouse stage; see ComplianceSchema).
   */
  compliance: v.optional(ComplianceSchema),
});
export type Report = v.InferOutput<typeof ReportSchema>;
