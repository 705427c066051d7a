import { createLogger } from '@wrapup/shared';
import { readSimEnv, SimEnvError } from './env';
import { startSimulator } from './server';

const logger = createLogger({ service: 'genesys-sim', level: 'info' });

async function main(): Promise<void> {
  let opts;
  try {
    opts = readSimEnv(process.env);
  } catch (err) {
    if (err instanceof SimEnvError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const sim = await startSimulator(opts);
  // the demo secret is public and printed so a local worker can use it; any other is redacted
  const demoSecret = sim.clientSecret === 'wrapup-demo-secret';
  logger.info(
    {
      url: sim.url,
      clientId: sim.clientId,
      clientSecretFrom: demoSecret ? `the demo default ${sim.clientSecret}` : 'SIM_CLIENT_SECRET',
      analyticsLagMs: sim.state.settings.analyticsLagMs,
      rateLimitPerMinute: sim.state.settings.rateLimitPerMinute,
      controlApi: `${sim.url}/__sim (campaigns: create, complete, stop, start, edit, expected, copies, deliver; faults; requests; notifications)`,
      notificationSockets: `ws://<host>/channels/{id} (POST /api/v2/notifications/channels)`,
    },
    'genesys-sim listening (login and API)',
  );
  for (const id of sim.demoCampaignIds) {
    const c = sim.state.campaigns.get(id);
    logger.info({ campaignId: id, status: c?.campaignStatus, name: c?.name }, 'demo campaign');
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'closing genesys-sim');
    const timer = setTimeout(() => process.exit(1), 5000);
    timer.unref();
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'genesys-sim failed to start');
  process.exit(1);
});
