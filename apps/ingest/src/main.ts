import { loadConfigOrExit, onReload, onShutdown } from '@wrapup/shared';
import { authConfigProblem } from './auth-check';
import { createIngest } from './ingest';
import { serveIngest } from './serve';

const config = loadConfigOrExit(process.env);
const problem = authConfigProblem(config);
if (problem) {
  process.stderr.write(`config error: ${problem}\n`);
  process.exit(1);
}

const ingest = (() => {
  try {
    return createIngest(config);
  } catch (err) {
    process.stderr.write(`start-up error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
})();
const { logger } = ingest;
if (config.webhook.auth === 'none')
  logger.warn('WEBHOOK_AUTH=none: webhooks are accepted without authentication');

if (!(await ingest.ready(5_000)))
  logger.warn('redis is not reachable yet; answering 503 until it is');
const running = await (async () => {
  try {
    return await serveIngest(ingest, config.ingest);
  } catch (err) {
    process.stderr.write(`start-up error: ${err instanceof Error ? err.message : String(err)}\n`);
    await ingest.close();
    process.exit(1);
  }
})();
const adminUrl = (running.admin ?? running.public).url;
logger.info(
  {
    url: `${running.public.url}/webhooks/genesys`,
    dashboard: config.dashboard ? `${adminUrl}/admin/queues` : 'off',
    metrics: `${adminUrl}/metrics`,
    tls: config.ingest.tls ? 'on' : 'off',
  },
  'ingest listening',
);
// SIGHUP re-reads TLS_CERT_FILE / TLS_KEY_FILE; connections already open keep their pair
if (config.ingest.tls) onReload(logger, 'tls certificate', () => running.reloadTls());

const closeBudget = Math.max(1_000, config.shutdownTimeoutMs - 1_000);
onShutdown(
  [
    { name: 'http listeners', run: () => running.close(closeBudget) },
    { name: 'queues and redis', run: () => ingest.close() },
  ],
  { deadlineMs: config.shutdownTimeoutMs, logger },
);
