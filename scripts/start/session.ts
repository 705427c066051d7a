import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SampleEvent } from '@wrapup/genesys-sim';
import type { Generated } from './dev-env';

/** The guide campaign event the banner's sample command sends. */
export type { SampleEvent };

/**
 * What `pnpm start` leaves in `${DATA_DIR}/dev-session.json` (mode 0600) for `pnpm simulate`.
 * Read by packages/genesys-sim/bin/simulate.ts: keep the two in step.
 */
export interface DevSession {
  version: 1;
  pid: number;
  startedAt: string;
  ingestUrl: string;
  /** Base URL of /admin/* (the ADMIN_PORT listener when set, else ingestUrl). */
  adminUrl: string;
  webhookUrl: string;
  dashboardUrl: string;
  dashboard: { user: string; password: string };
  /** The first WEBHOOK_API_KEYS key, sent as x-api-key. */
  apiKey?: string;
  /** The first WEBHOOK_SECRET, for signing (only when the user set one). */
  webhookSecret?: string;
  /** The bundled simulator (absent when the user brought GENESYS_CLIENT_ID). */
  simUrl?: string;
  /** Where reports land, for people: e.g. `embedded warehouse (./data/warehouse), table campaign_reports`. */
  warehouse: string;
  sample?: SampleEvent;
  /** Credentials pnpm start generated, reused by the next start so bookmarks keep working. */
  generated: Generated;
}

export const SESSION_FILE = 'dev-session.json';

export const sessionPath = (dataDir: string) => join(dataDir, SESSION_FILE);

/** The previous session, or undefined when there is none or it does not parse. */
export async function readSession(path: string): Promise<DevSession | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<DevSession>;
    return parsed.version === 1 ? (parsed as DevSession) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the session atomically, readable by its owner only. */
export async function writeSession(path: string, session: DevSession): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
