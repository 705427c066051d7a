import { parseArgs } from 'node:util';
import type { SenderAuth, SenderShape } from '../src/sender';
import { runSimulation } from '../src/simulate';

const SHAPES = ['guide', 'eventbridge', 'notification', 'mixed'] as const;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function count(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw))
    fail(`${name}: must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string' },
      shape: { type: 'string' },
      duplicates: { type: 'string' },
      'no-unknown': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'pnpm simulate [--count N] [--shape guide|eventbridge|notification|mixed] [--duplicates N] [--no-unknown]',
    );
    console.log(
      'env: WEBHOOK_URL, SIM_URL, WEBHOOK_SECRET (signs) or WEBHOOK_API_KEYS (first key as x-api-key)',
    );
    return;
  }
  const shape = values.shape ?? 'mixed';
  if (!(SHAPES as readonly string[]).includes(shape))
    fail(`--shape: must be one of ${SHAPES.join(', ')}`);

  const webhookUrl = process.env.WEBHOOK_URL ?? 'http://127.0.0.1:3000/webhooks/genesys';
  const simUrl = process.env.SIM_URL ?? 'http://127.0.0.1:8787';
  const auth: SenderAuth = {};
  const secret = process.env.WEBHOOK_SECRET?.trim();
  const apiKey = process.env.WEBHOOK_API_KEYS?.split(',')[0]?.trim();
  if (secret) auth.secret = secret;
  else if (apiKey) auth.apiKey = apiKey;
  else
    console.log(
      'no WEBHOOK_SECRET or WEBHOOK_API_KEYS: sending unauthenticated (ingest needs WEBHOOK_AUTH=none)',
    );

  console.log(`simulator ${simUrl} -> webhook ${webhookUrl}`);
  const result = await runSimulation({
    simUrl,
    webhookUrl,
    count: count(values.count, '--count', 3),
    shape: shape as SenderShape | 'mixed',
    duplicates: count(values.duplicates, '--duplicates', 1),
    includeUnknown: !values['no-unknown'],
    auth,
    log: (line) => console.log(line),
  });
  const failed = result.events.filter((e) =>
    e.delivery.finals.some((a) => a.status === null || a.status >= 400),
  );
  console.log(`${result.events.length} events delivered, ${failed.length} not accepted`);
}

main().catch((err: unknown) =>
  fail(`simulate failed: ${err instanceof Error ? err.message : String(err)}`),
);
