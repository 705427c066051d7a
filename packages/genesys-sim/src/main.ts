import { readSimEnv, SimEnvError } from './env';
import { startSimulator } from './server';

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
  console.log(`genesys-sim listening on ${sim.url} (login and API)`);
  console.log(
    `client: ${sim.clientId} / ${sim.clientSecret === 'wrapup-demo-secret' ? sim.clientSecret : '(from SIM_CLIENT_SECRET)'}`,
  );
  console.log(
    `analytics lag: ${sim.state.settings.analyticsLagMs} ms, rate limit: ${sim.state.settings.rateLimitPerMinute}/min per token`,
  );
  for (const id of sim.demoCampaignIds) {
    const c = sim.state.campaigns.get(id);
    console.log(`demo campaign ${id}  ${c?.campaignStatus ?? ''}  ${c?.name ?? ''}`);
  }
  console.log(
    `control API: ${sim.url}/__sim (campaigns: create, complete, stop, start, edit, expected, copies, deliver; faults; requests)`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing genesys-sim`);
    const timer = setTimeout(() => process.exit(1), 5000);
    timer.unref();
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('genesys-sim: close failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error('genesys-sim failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
