import { loadConfigOrExit } from '@wrapup/shared';
import { authConfigProblem } from './auth-check';
import { createIngest } from './ingest';
import { serveApp } from './serve';
import { onShutdown } from './shutdown';

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
if (config.webhook.auth === 'none') logger.warn('WEBHOOK_AUTH=none: webhooks are accepted without authentication');

if (!(await ingest.ready(5_000))) logger.warn('redis is not reachable yet; answering 503 until it is');
const running = await serveApp(ingest.app, config.ingest);
logger.info(
  { url: `${running.url}/webhooks/genesys`, dashboard: config.dashboard ? `${running.url}/admin/queues` : 'off' },
  'ingest listening',
);

const closeBudget = Math.max(1_000, config.shutdownTimeoutMs - 1_000);
onShutdown(logger, config.shutdownTimeoutMs, [
  { name: 'http server', run: () => running.close(closeBudget) },
  { name: 'queues and redis', run: () => ingest.close() },
]);
