import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createSimApp } from './app';
import type {
  CampaignView,
  CopyView,
  DeliverCopyInput,
  DeliverCopyResult,
  RunResult,
} from './control';
import { DEMO_CAMPAIGN_IDS, seedDemoCampaigns } from './demo';
import type { FinishedCampaign } from './events';
import type { NotificationChannelView } from './notifications';
import type {
  CompleteOptions,
  CreateCampaignInput,
  EditOptions,
  StartOptions,
  StopOptions,
  TimeRange,
} from './model/campaigns';
import { SimState, type RequestLogEntry } from './model/state';
import type { ExpectedTotals } from './model/types';
import { resolveOptions, type SimOptions, type SimSettings } from './options';
import type { SettingsPatch } from './settings';

/** A running simulated Genesys Cloud. Helpers act on the model directly and mirror `/__sim`. */
export interface Simulator {
  /** Base URL for login and API, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** The in-memory model (campaigns, conversations, tokens, request log, settings). */
  state: SimState;
  /** Ids of the demo campaigns seeded at start (empty with `demoCampaigns: false`). */
  demoCampaignIds: string[];
  clientId: string;
  clientSecret: string;
  /** The wrapup variables that point a worker at this simulator (API and login URL, client). */
  wrapupEnv: {
    GENESYS_API_URL: string;
    GENESYS_LOGIN_URL: string;
    GENESYS_CLIENT_ID: string;
    GENESYS_CLIENT_SECRET: string;
  };
  createCampaign(input?: CreateCampaignInput): Promise<CampaignView>;
  runToCompletion(id: string, opts?: CompleteOptions): Promise<RunResult>;
  stopCampaign(id: string, opts?: StopOptions): Promise<RunResult>;
  /** Starts (resumes) a campaign; a complete one restarts from the first record. */
  startCampaign(id: string, opts?: StartOptions): Promise<CampaignView>;
  /** Edits (renames) a campaign: version + 1, dateModified, status kept, a new copy published. */
  editCampaign(id: string, opts?: EditOptions): Promise<CampaignView>;
  /** True totals of the dials in `range` (dial start, from inclusive, to exclusive), or of all. */
  expected(id: string, range?: TimeRange): Promise<ExpectedTotals>;
  /** Every copy the campaign published, oldest first. */
  copies(id: string): Promise<CopyView[]>;
  /**
   * A published copy (default the latest) ready for buildFinishEvent / deliverFinish: status,
   * `occurredAt` = the change's time, and `copy` = the body as published.
   */
  copyEvent(id: string, version?: number): Promise<FinishedCampaign>;
  /** Delivers one published copy (default the latest) to a URL in a shape. */
  deliverCopy(id: string, input: DeliverCopyInput): Promise<DeliverCopyResult>;
  setFaults(patch: SettingsPatch): Promise<SimSettings>;
  requestLog(): Promise<RequestLogEntry[]>;
  resetLog(): Promise<void>;
  revokeTokens(): Promise<number>;
  /** Live notification channels: id, topics, connected, expires, messagesSent, connections. */
  notifications(): Promise<NotificationChannelView[]>;
  /** A network cut: every notification WebSocket terminated without notice; answers how many. */
  dropSockets(): Promise<number>;
  /** `v2.system.socket_closing` to every socket, closed `socketClosingGraceMs` later; answers how many. */
  sendSocketClosing(): Promise<number>;
  /** Expires every notification channel now (sockets closed, then 404); answers how many. */
  expireChannels(): Promise<number>;
  /** While on, WebSocket upgrades to `/channels/{id}` are refused (503). */
  setSocketsRefused(on: boolean): Promise<boolean>;
  /** Stops listening; closes every notification socket and timer. */
  close(): Promise<void>;
}

/** Wraps a synchronous call so errors become rejections. */
function later<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** Starts the simulator as a real HTTP server; resolves once it listens. */
export async function startSimulator(opts: SimOptions = {}): Promise<Simulator> {
  const resolved = resolveOptions(opts);
  const state = new SimState(resolved);
  const demoCampaignIds = resolved.demoCampaigns ? seedDemoCampaigns(state) : [];
  const { app, control } = createSimApp(state);
  const server = createAdaptorServer({ fetch: app.fetch, hostname: resolved.host }) as Server;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  let closing: Promise<void> | undefined;
  // The Notification API's WebSockets share the HTTP server: `ws://host:port/channels/{id}`.
  state.notifications.publicWsBase = `ws://${host}:${port}`;
  server.on('upgrade', (req, socket, head) => state.notifications.handleUpgrade(req, socket, head));

  const url = `http://${host}:${port}`;
  return {
    url,
    port,
    state,
    demoCampaignIds,
    clientId: resolved.clientId,
    clientSecret: resolved.clientSecret,
    wrapupEnv: {
      GENESYS_API_URL: url,
      GENESYS_LOGIN_URL: url,
      GENESYS_CLIENT_ID: resolved.clientId,
      GENESYS_CLIENT_SECRET: resolved.clientSecret,
    },
    createCampaign: (input) => later(() => control.createCampaign(input)),
    runToCompletion: (id, o) => later(() => control.runToCompletion(id, o)),
    stopCampaign: (id, o) => later(() => control.stopCampaign(id, o)),
    startCampaign: (id, o) => later(() => control.startCampaign(id, o)),
    editCampaign: (id, o) => later(() => control.editCampaign(id, o)),
    expected: (id, range) => later(() => control.expected(id, range)),
    copies: (id) => later(() => control.copies(id)),
    copyEvent: (id, version) => later(() => control.copyEvent(id, version)),
    deliverCopy: (id, input) => control.deliverCopy(id, input),
    setFaults: (patch) => later(() => control.setFaults(patch)),
    requestLog: () => later(() => control.requestLog()),
    resetLog: () => later(() => control.resetLog()),
    revokeTokens: () => later(() => control.revokeTokens()),
    notifications: () => later(() => control.notifications()),
    dropSockets: () => later(() => control.dropSockets()),
    sendSocketClosing: () => later(() => control.sendSocketClosing()),
    expireChannels: () => later(() => control.expireChannels()),
    setSocketsRefused: (on) => later(() => control.setSocketsRefused(on)),
    close: () => {
      state.notifications.close();
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

export { DEMO_CAMPAIGN_IDS };
