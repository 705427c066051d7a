import type { Config } from '@wrapup/shared';

/** The one-line reason the ingest must not start with this auth configuration, if any. */
export function authConfigProblem(config: Pick<Config, 'webhook'>): string | undefined {
  const { auth, secrets, apiKeys } = config.webhook;
  if (auth === 'required' && secrets.length === 0 && apiKeys.length === 0) {
    return 'WEBHOOK_AUTH=required needs WEBHOOK_SECRET or WEBHOOK_API_KEYS (set WEBHOOK_AUTH=none only for local trials)';
  }
  return undefined;
}
