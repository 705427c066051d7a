import { isDimension, isMetric } from './catalog';
import { parseDuration, parseInterval, type IsoDuration } from './duration';

export interface DimensionPredicate {
  dimension: string;
  operator: 'matches' | 'exists' | 'notExists';
  value: string | undefined;
}

export interface QueryFilter {
  type: 'and' | 'or';
  predicates: DimensionPredicate[];
  clauses: QueryFilter[];
}

/** A validated aggregates query. */
export interface AggregatesQuery {
  startMs: number;
  endMs: number;
  granularity: IsoDuration | undefined;
  groupBy: string[];
  filter: QueryFilter | undefined;
  metrics: string[];
}

/** A query the real API would answer with 400 `bad.request`. */
export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const PREDICATE_TYPES = ['dimension', 'metric', 'property'];

/**
 * A ConversationAggregateQueryPredicate (SDK model: type?, dimension?, operator?, value?, range?;
 * type dimension | metric | property, operator matches | exists | notExists). The simulator
 * evaluates dimension predicates only: metric and property predicates are answered 400 as not
 * supported here (the platform would evaluate them).
 */
function parsePredicate(raw: unknown, path: string): DimensionPredicate {
  if (!isObject(raw)) throw new QueryError(`${path} must be an object`);
  const type = raw.type ?? 'dimension';
  if (typeof type !== 'string' || !PREDICATE_TYPES.includes(type))
    throw new QueryError(`${path}.type must be one of ${PREDICATE_TYPES.join(', ')}`);
  if (type !== 'dimension')
    throw new QueryError(`${path}.type ${type} predicates are not supported by the simulator`);
  const dimension = raw.dimension;
  if (typeof dimension !== 'string' || !isDimension(dimension))
    throw new QueryError(`${path}.dimension: unknown dimension ${JSON.stringify(dimension)}`);
  const operator = raw.operator ?? 'matches';
  if (operator !== 'matches' && operator !== 'exists' && operator !== 'notExists')
    throw new QueryError(`${path}.operator must be matches, exists or notExists`);
  const value = raw.value;
  if (operator === 'matches' && typeof value !== 'string')
    throw new QueryError(`${path}.value is required for operator matches`);
  if (operator !== 'matches' && value !== undefined)
    throw new QueryError(`${path}.value is not allowed for operator ${operator}`);
  return { dimension, operator, value: typeof value === 'string' ? value : undefined };
}

function parseType(raw: Record<string, unknown>, path: string): 'and' | 'or' {
  const type = raw.type;
  if (type !== 'and' && type !== 'or') throw new QueryError(`${path}.type must be and or or`);
  return type;
}

function parsePredicates(raw: unknown, path: string): DimensionPredicate[] {
  if (!Array.isArray(raw)) throw new QueryError(`${path} must be an array`);
  return raw.map((p, i) => parsePredicate(p, `${path}[${i}]`));
}

/**
 * A ConversationAggregateQueryClause: `type` and `predicates` only (SDK model), so a clause cannot
 * hold clauses of its own; one that tries is a 400 naming the path.
 */
function parseClause(raw: unknown, path: string): QueryFilter {
  if (!isObject(raw)) throw new QueryError(`${path} must be an object`);
  const type = parseType(raw, path);
  if (raw.clauses !== undefined)
    throw new QueryError(`${path}.clauses is not allowed: a clause holds only type and predicates`);
  if (raw.predicates === undefined) throw new QueryError(`${path}.predicates is required`);
  const predicates = parsePredicates(raw.predicates, `${path}.predicates`);
  if (predicates.length === 0) throw new QueryError(`${path}.predicates must not be empty`);
  return { type, predicates, clauses: [] };
}

/** A ConversationAggregateQueryFilter: `type`, optional `clauses` and `predicates` (SDK model). */
function parseFilter(raw: unknown, path: string): QueryFilter {
  if (!isObject(raw)) throw new QueryError(`${path} must be an object`);
  const type = parseType(raw, path);
  const predicates = parsePredicates(raw.predicates ?? [], `${path}.predicates`);
  const rawClauses = raw.clauses ?? [];
  if (!Array.isArray(rawClauses)) throw new QueryError(`${path}.clauses must be an array`);
  if (predicates.length === 0 && rawClauses.length === 0)
    throw new QueryError(`${path} needs at least one predicate or clause`);
  return {
    type,
    predicates,
    clauses: rawClauses.map((c, i) => parseClause(c, `${path}.clauses[${i}]`)),
  };
}

function parseStringList(
  raw: unknown,
  field: string,
  known: (s: string) => boolean,
  what: string,
): string[] {
  if (!Array.isArray(raw)) throw new QueryError(`${field} must be an array of strings`);
  return raw.map((item) => {
    if (typeof item !== 'string' || !known(item))
      throw new QueryError(`${field}: unknown ${what} ${JSON.stringify(item)}`);
    return item;
  });
}

function checkTimeZone(raw: unknown): void {
  if (raw === undefined) return;
  if (typeof raw !== 'string') throw new QueryError('timeZone must be a string');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: raw });
  } catch {
    throw new QueryError(`timeZone: unknown time zone ${raw}`);
  }
}

/**
 * The most predicates one aggregates filter may hold, counted over the filter and all its clauses.
 * Unverified (no primary source found for the platform's number; docs/platform-facts.md): the
 * worker's batches stay within it and a body over it is refused with 400 here, so a batch that
 * would be too big is split in tests.
 */
export const MAX_FILTER_PREDICATES = 100;

const predicateCount = (f: QueryFilter): number =>
  f.predicates.length + f.clauses.reduce((n, c) => n + predicateCount(c), 0);

/** Validates a request body as the real API does; throws QueryError with a readable message. */
export function parseAggregatesQuery(
  body: unknown,
  opts: { maxIntervalDays?: number | undefined } = {},
): AggregatesQuery {
  if (!isObject(body)) throw new QueryError('The request body must be a JSON object');
  if (typeof body.interval !== 'string' || body.interval === '')
    throw new QueryError('interval is required (ISO-8601 start/end)');
  const interval = parseInterval(body.interval);
  if (!interval)
    throw new QueryError(`interval ${body.interval} is not a valid ISO-8601 start/end`);
  if (interval.endMs <= interval.startMs)
    throw new QueryError('interval end must be after its start');
  if (
    opts.maxIntervalDays !== undefined &&
    interval.endMs - interval.startMs > opts.maxIntervalDays * 86_400_000
  )
    throw new QueryError(`interval is longer than ${opts.maxIntervalDays} days`);

  let granularity: IsoDuration | undefined;
  if (body.granularity !== undefined) {
    if (typeof body.granularity !== 'string')
      throw new QueryError('granularity must be an ISO-8601 duration');
    granularity = parseDuration(body.granularity);
    if (!granularity)
      throw new QueryError(`granularity ${body.granularity} is not a valid ISO-8601 duration`);
  }
  checkTimeZone(body.timeZone);

  if (body.metrics === undefined) throw new QueryError('metrics is required');
  const metrics = parseStringList(body.metrics, 'metrics', isMetric, 'metric');
  if (metrics.length === 0) throw new QueryError('metrics must name at least one metric');
  const groupBy =
    body.groupBy === undefined
      ? []
      : parseStringList(body.groupBy, 'groupBy', isDimension, 'dimension');
  const filter = body.filter === undefined ? undefined : parseFilter(body.filter, 'filter');
  if (filter && predicateCount(filter) > MAX_FILTER_PREDICATES)
    throw new QueryError(
      `filter has ${predicateCount(filter)} predicates; at most ${MAX_FILTER_PREDICATES} are allowed`,
    );

  return {
    startMs: interval.startMs,
    endMs: interval.endMs,
    granularity,
    groupBy,
    filter,
    metrics,
  };
}
