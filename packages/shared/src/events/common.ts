import * as v from 'valibot';
import { CAMPAIGN_ID_PATTERN } from './types';

/** Building blocks shared by the event shapes. Messages complete "<path> ...". */

/** A plain JSON object (not null, not an array). */
export const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

export const CAMPAIGN_ID_MESSAGE =
  'must be a string of 1 to 128 letters, digits, -, _, ., : starting with a letter or digit';

/** A string that `check` (e.g. `v.startsWith`) accepts; both failures say `message`. */
export const checkedString = (
  message: string,
  check: (message: string) => v.PipeItem<string, string, v.BaseIssue<unknown>>,
) => v.pipe(v.string(message), check(message));

export const CampaignIdSchema = checkedString(CAMPAIGN_ID_MESSAGE, (m) =>
  v.regex(CAMPAIGN_ID_PATTERN, m),
);

export const requiredString = (what = 'a non-empty string') =>
  v.pipe(v.string(`must be ${what}`), v.trim(), v.nonEmpty(`must be ${what}`));

/** Optional; `null` counts as absent. */
export const optionalString = () => v.nullish(v.string('must be a string'));

/** Optional (`null` counts as absent): a number >= 0 that `check` accepts; every failure says `message`. */
const optionalNonNegative = (
  message: string,
  check: (message: string) => v.PipeItem<number, number, v.BaseIssue<unknown>>,
) => v.nullish(v.pipe(v.number(message), check(message), v.minValue(0, message)));

export const optionalNonNegativeNumber = () =>
  optionalNonNegative('must be a number >= 0', (m) => v.finite(m));

export const optionalNonNegativeInteger = () =>
  optionalNonNegative('must be a whole number >= 0', (m) => v.integer(m));

/**
 * A time as sent: ISO-8601 text (checked and normalised later by toUtcIso), or a number: epoch
 * milliseconds, or epoch seconds when below 1e11 (see pickTime).
 */
export const timeValue = () =>
  v.union([v.string(), v.number()], 'must be an ISO-8601 date-time string');

export const TIMESTAMP_MESSAGE =
  'must be an ISO-8601 date-time (with Z or an offset such as +02:00, or a local time in EVENT_TIMEZONE)';

/** Notification / EventBridge `metadata`: only CorrelationId matters; anything else is dropped. */
export const MetadataSchema = v.nullish(
  v.object(
    {
      CorrelationId: optionalString(),
      timestamp: v.nullish(timeValue()),
    },
    'must be an object',
  ),
);
