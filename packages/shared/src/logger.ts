import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger } from 'pino';

/**
 * Keys whose values never reach a log line, at the top level or up to two objects deep (a config
 * section, `req.headers`): credentials, and URLs that embed them (NOTIFY_URLS webhooks carry
 * tokens, REDIS_URL and WAREHOUSE_URL may carry a password).
 */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'x-api-key',
  'password',
  'secret',
  'secrets',
  'apiKey',
  'apiKeys',
  'clientSecret',
  'accessToken',
  'notifyUrl',
  'notifyUrls',
  'redisUrl',
  'warehouseUrl',
];

export const REDACTED_PATHS = SECRET_KEYS.flatMap((key) => {
  const at = /^\w+$/.test(key) ? `.${key}` : `["${key}"]`;
  return [at.startsWith('.') ? key : at, `*${at}`, `*.*${at}`];
});

export interface LoggerOptions {
  /** The process or component the lines come from: `ingest`, `worker`, `genesys-sim`, `wrapup`. */
  service: string;
  level: LogLevel;
}

/**
 * The one pino logger of every process: JSON lines with ISO UTC `time`, `pid`, `hostname` and
 * `service`, secrets redacted. Log errors as `{ err }` so pino's serializer keeps the stack and
 * the cause chain. Lines go to stdout unless a destination is given (several loggers of one
 * process, or a test, share one).
 */
export function createLogger(opts: LoggerOptions, destination?: DestinationStream): Logger {
  return pino(
    {
      level: opts.level,
      base: { pid: process.pid, hostname: hostname(), service: opts.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
