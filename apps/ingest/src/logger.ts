import { pino, type Logger } from 'pino';
import type { Config } from '@wrapup/shared';

/** One pino logger for the process; request lines are children with eventId and campaignId. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'ingest' },
    redact: { paths: ['*.authorization', '*.password', '*.secret', '*["x-api-key"]'], censor: '[redacted]' },
  });
}
