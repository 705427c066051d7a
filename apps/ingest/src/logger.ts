import { createLogger as createServiceLogger, type Config, type Logger } from '@wrapup/shared';

/** The ingest's root logger (the shared factory); request lines are children with eventId and campaignId. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return createServiceLogger({ service: 'ingest', level: config.logLevel });
}
