/**
 * The v2.0 warehouse as tests rebuild it (imported by tests only): the table exactly as the v2.0
 * service created it, and what the v2.1 columns of a row hold for a report without v2.1 fields.
 */

/** The table exactly as the v2.0 service created it (sql.ts before v2.1), as a literal. */
export const V20_DDL = (table: string): string => `create table if not exists ${table} (
  report_id text primary key,
  campaign_id text not null,
  status text not null,
  completion_timestamp timestamptz not null,
  end_time timestamptz null,
  total_calls_attempted integer not null,
  successful_contacts integer not null,
  contact_rate double precision not null,
  avg_handle_time_seconds double precision not null,
  complete boolean not null,
  report jsonb not null,
  written_at timestamptz not null
)`;

/** The v2.1 columns of a row, as a report without them (a v2.0 report or row) must leave them. */
export const V20_DEFAULTS = {
  revision: 1,
  final: false,
  connect_rate: null,
  abandoned_calls: null,
  abandon_rate: null,
  handled_calls: null,
  avg_talk_seconds: null,
  avg_hold_seconds: null,
  avg_acw_seconds: null,
  completeness_verdict: null,
};
