/**
 * The Genesys Cloud Notification API as the simulator models it: channels, their topic
 * subscriptions and one real WebSocket per channel (see routes/notifications.ts for the REST side).
 *
 * What the platform does, and where that was checked (docs/platform-facts.md has the same list):
 *
 * Verified
 * - A channel is `{id, connectUri, expires}`; `GET /channels` answers `{entities}`; subscriptions
 *   are `ChannelTopic` `{id, ...}` answered as `{entities}`; `HEAD /channels/{id}` answers 200 when
 *   the channel exists and 404 when it does not; POST subscriptions adds to the list, PUT replaces
 *   it, GET lists it, DELETE removes all. There is no `GET` or `DELETE` of one channel. (SDK:
 *   purecloud-platform-client-v2 262 `NotificationsApi`, models `Channel`, `ChannelTopic`.)
 * - `connectUri` is `wss://streaming.<region>/channels/<id>` and carries no token; ids look like
 *   `streaming-0-<random>`; SDK handlers connect to `connectUri` as given. (Example responses in
 *   public samples and the `genesys-notifications` PyPI library; SDK `NotificationHandler`.)
 * - Up to 20 channels per user and app; creating the 21st does NOT fail: it removes the channel with
 *   the oldest last-used date, channels without an active connection first. (SDK doc of
 *   `postNotificationsChannels`; old SDKs said "a limit of 10 channels".)
 * - Channels remain active for 24 hours; to keep one longer, resubscribe to topics (so a successful
 *   POST/PUT of subscriptions renews `expires`). (Developer Center "Notification service", usage
 *   limitations, as quoted on Genesys's Developer Center blog about event-driven integrations.)
 * - Each channel is limited to 1,000 topics; subscribing past that answers 400. (Same page.)
 * - A channel can be used by one WebSocket at a time: connecting a second one disconnects the first.
 *   (Same page.)
 * - Combined topics `prefix?suffix1&suffix2` count as one topic, at most 200 characters, and deliver
 *   under the expanded names. (Same page, "Combine related topics".)
 * - Topic messages are `{topicName, version, eventBody, metadata: {CorrelationId}}`, version a
 *   string. (SDK: .NET `NotificationData<T>`, `Metadata`.)
 * - The client may send `{"message":"ping"}` and gets
 *   `{"topicName":"channel.metadata","eventBody":{"message":"pong"}}`; with no answer it should close
 *   and reconnect. (Developer Center "WebSocket manual health check"; SDK handlers.)
 * - Before closing a socket for maintenance the service sends `v2.system.socket_closing`; clients
 *   have up to one minute to connect a new WebSocket and drop the old one, after which the server
 *   closes it. (Developer Center "WebSocket closing notifications"; the Java/.NET SDK handlers
 *   reconnect on it.) The eventBody is a `SystemMessageSystemMessage` (SDK model).
 * - The socket is not durable: events published while no socket is connected are lost, there is
 *   no replay. (Genesys developer blog on event-driven integrations: "Non-durable socket. If the
 *   socket goes away you miss messages.")
 *
 * From a forum/community answer only
 * - The heartbeat `{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}`
 *   arrives every 30 s (Genesys community thread "Regarding the behavior of WebSocket heartbeats";
 *   the message shape is matched by several client libraries).
 *
 * Assumed (no primary source found)
 * - The error `code`/`message` of the 400 past the topic limit (`bad.request`), and that the whole
 *   request is refused (nothing of it applied).
 * - Channels belong to the OAuth client that made them; another client's channel answers 404.
 * - "Last used" is the latest of: creation, subscription change, WebSocket connection.
 * - Close codes: 1000 for a socket replaced by a newer one, 1001 for expiry, maintenance and
 *   eviction; an upgrade to an unknown or expired channel is answered 404.
 * - DELETE of the subscriptions does not renew `expires`; only a successful POST/PUT does.
 * - `.progress` messages are sent whenever the campaign publishes a copy (the platform sends them
 *   as dialling progresses; the simulator dials in one step).
 * - Topic names are matched without regard to case (the SDK handlers compare them that way).
 * - Subscribing over the WebSocket (`{"message":"subscribe",...}`) is not modelled: such messages
 *   are ignored, so a client relying on them receives nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { SimSettings } from './options';

export const HEARTBEAT_MESSAGE = {
  topicName: 'channel.metadata',
  eventBody: { message: 'WebSocket Heartbeat' },
} as const;
export const PONG_MESSAGE = {
  topicName: 'channel.metadata',
  eventBody: { message: 'pong' },
} as const;
export const SOCKET_CLOSING_TOPIC = 'v2.system.socket_closing';
/** The `version` of topic messages (a string in the SDK; the value is assumed). */
export const MESSAGE_VERSION = '2';
/** Longest combined topic (verified: "A combined topic can contain up to 200 characters"). */
export const COMBINED_TOPIC_MAX = 200;

export const CLOSE_REPLACED = 1000;
export const CLOSE_GOING_AWAY = 1001;

/** A topic message as the platform sends it over the WebSocket. */
export interface TopicMessage {
  topicName: string;
  version: string;
  eventBody: unknown;
  metadata: { CorrelationId: string };
}

/** Who made a channel: its OAuth client and (hashed) token. */
export interface ChannelOwner {
  clientId: string;
  tokenHash: string;
}

/** A channel as the control API and the Simulator helper show it. */
export interface NotificationChannelView {
  id: string;
  clientId: string;
  /** Subscribed topics, in subscription order, as given. */
  topics: string[];
  /** A WebSocket is connected right now. */
  connected: boolean;
  /** ISO UTC. */
  expires: string;
  createdAt: string;
  /** Topic messages delivered to this channel's sockets (heartbeats and pongs not counted). */
  messagesSent: number;
  /** WebSockets accepted on this channel so far. */
  connections: number;
}

/** The platform's `Channel`. */
export interface ChannelBody {
  id?: string;
  connectUri?: string;
  expires: string;
}

export type SubscriptionResult =
  | { ok: true; topics: string[] }
  | { ok: false; reason: 'not-found' }
  | { ok: false; reason: 'topic-limit'; limit: number; count: number }
  | { ok: false; reason: 'invalid'; message: string };

interface SimChannel {
  id: string;
  owner: ChannelOwner;
  createdAtMs: number;
  expiresAtMs: number;
  lastUsedMs: number;
  topics: string[];
  /** Lower-cased topic names this channel receives (combined topics expanded). */
  receives: Set<string>;
  socket: WebSocket | undefined;
  messagesSent: number;
  connections: number;
  expiryTimer: NodeJS.Timeout | undefined;
}

/** What the hub needs from the simulator's state. */
export interface HubHost {
  readonly settings: SimSettings;
  now(): number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** `streaming-0-` and 26 lowercase letters and digits, like the platform's ids. */
function channelId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(26);
  let out = 'streaming-0-';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** The names a (possibly combined) topic delivers under, lower-cased. */
export function expandTopic(topic: string): string[] {
  const q = topic.indexOf('?');
  if (q < 0) return [topic.toLowerCase()];
  const prefix = topic.slice(0, q);
  return topic
    .slice(q + 1)
    .split('&')
    .filter((s) => s !== '')
    .map((s) => `${prefix}.${s}`.toLowerCase());
}

function checkTopics(body: unknown): string[] | string {
  if (!Array.isArray(body)) return 'the body must be a JSON array of {"id": topic}';
  const topics: string[] = [];
  for (const item of body) {
    const id: unknown =
      typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
    if (typeof id !== 'string' || id.trim() === '')
      return 'every subscription must be an object with a topic "id"';
    if (!/^v2\.[A-Za-z0-9_.\-?&]+$/.test(id)) return `Invalid topic: ${id}`;
    if (id.includes('?') && id.length > COMBINED_TOPIC_MAX)
      return `A combined topic can contain up to ${COMBINED_TOPIC_MAX} characters: ${id}`;
    topics.push(id);
  }
  return topics;
}

/** Channels, subscriptions and WebSockets of one simulator. */
export class NotificationHub {
  private readonly channels = new Map<string, SimChannel>();
  private wss: WebSocketServer | undefined;
  private readonly graceTimers = new Set<NodeJS.Timeout>();
  private readonly heartbeats = new Map<WebSocket, NodeJS.Timeout>();
  private refused = false;
  private closed = false;
  /** `ws://host:port`, used when a request has no Host header. */
  publicWsBase = 'ws://127.0.0.1';

  constructor(private readonly host: HubHost) {}

  // ---- REST side -------------------------------------------------------------------------

  /** Creates a channel; past the client's channel limit the least recently used one goes. */
  create(owner: ChannelOwner, wsBase: string | undefined): ChannelBody {
    const now = this.host.now();
    const limit = this.host.settings.notificationChannelLimit;
    const own = () => [...this.live()].filter((c) => c.owner.clientId === owner.clientId);
    for (let mine = own(); mine.length >= limit; mine = own()) {
      // unconnected first, then the oldest last use
      mine.sort(
        (a, b) =>
          Number(a.socket !== undefined) - Number(b.socket !== undefined) ||
          a.lastUsedMs - b.lastUsedMs,
      );
      this.remove(mine[0] as SimChannel, 'Channel removed: channel limit reached');
    }
    const ch: SimChannel = {
      id: channelId(),
      owner,
      createdAtMs: now,
      expiresAtMs: now,
      lastUsedMs: now,
      topics: [],
      receives: new Set(),
      socket: undefined,
      messagesSent: 0,
      connections: 0,
      expiryTimer: undefined,
    };
    this.channels.set(ch.id, ch);
    this.renew(ch);
    return this.body(ch, wsBase);
  }

  /**
   * `GET /channels`: with `include` `token` (default) the channels this token made; with
   * `oauthclient` every channel of the client, those of other tokens without id and connectUri.
   */
  list(owner: ChannelOwner, include: 'token' | 'oauthclient', wsBase: string | undefined) {
    const out: ChannelBody[] = [];
    for (const ch of this.live()) {
      if (ch.owner.clientId !== owner.clientId) continue;
      if (ch.owner.tokenHash === owner.tokenHash) out.push(this.body(ch, wsBase));
      else if (include === 'oauthclient') out.push({ expires: iso(ch.expiresAtMs) });
    }
    return out;
  }

  /** True when the channel exists, is not expired and belongs to this client. */
  exists(id: string, owner: ChannelOwner): boolean {
    return this.find(id, owner) !== undefined;
  }

  subscriptions(id: string, owner: ChannelOwner): string[] | undefined {
    return this.find(id, owner)?.topics.slice();
  }

  /** POST (`replace` false) adds, PUT (`replace` true) replaces; both renew the channel. */
  subscribe(id: string, owner: ChannelOwner, body: unknown, replace: boolean): SubscriptionResult {
    const ch = this.find(id, owner);
    if (!ch) return { ok: false, reason: 'not-found' };
    const checked = checkTopics(body);
    if (typeof checked === 'string') return { ok: false, reason: 'invalid', message: checked };
    const next = replace ? [] : ch.topics.slice();
    const seen = new Set(next.map((t) => t.toLowerCase()));
    for (const t of checked) {
      if (seen.has(t.toLowerCase())) continue;
      seen.add(t.toLowerCase());
      next.push(t);
    }
    const limit = this.host.settings.notificationTopicLimit;
    if (next.length > limit) return { ok: false, reason: 'topic-limit', limit, count: next.length };
    this.setTopics(ch, next);
    ch.lastUsedMs = this.host.now();
    this.renew(ch);
    return { ok: true, topics: next.slice() };
  }

  /** DELETE: removes every subscription (does not renew the channel). */
  unsubscribeAll(id: string, owner: ChannelOwner): boolean {
    const ch = this.find(id, owner);
    if (!ch) return false;
    this.setTopics(ch, []);
    ch.lastUsedMs = this.host.now();
    return true;
  }

  // ---- publishing ------------------------------------------------------------------------

  /** True when some channel with a connected socket receives this topic. */
  hasListeners(topicName: string): boolean {
    const key = topicName.toLowerCase();
    for (const ch of this.live()) if (ch.socket && ch.receives.has(key)) return true;
    return false;
  }

  /**
   * Sends a topic message to every live channel subscribed to `topicName` whose socket is open
   * right now. A channel without a socket gets nothing, ever (no replay). `body` is evaluated only
   * when someone listens (pass a function to build it lazily). Answers how many sockets it went to.
   */
  publish(topicName: string, body: unknown): number {
    const key = topicName.toLowerCase();
    const targets = [...this.live()].filter(
      (ch) => ch.receives.has(key) && ch.socket?.readyState === WebSocket.OPEN,
    );
    if (targets.length === 0) return 0;
    const eventBody: unknown = typeof body === 'function' ? (body as () => unknown)() : body;
    for (const ch of targets) {
      const message: TopicMessage = {
        topicName,
        version: MESSAGE_VERSION,
        eventBody,
        metadata: { CorrelationId: randomUUID() },
      };
      ch.socket?.send(JSON.stringify(message));
      ch.messagesSent += 1;
    }
    return targets.length;
  }

  // ---- WebSocket side --------------------------------------------------------------------

  /** The node server's `upgrade` event: `/channels/{id}` of a live channel, else refused. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const m = /^\/channels\/([^/]+)$/.exec(path);
    if (this.closed || this.refused) return reject(socket, 503, 'Service Unavailable');
    const ch = m ? this.liveChannel(decodeURIComponent(m[1] as string)) : undefined;
    if (!ch) return reject(socket, 404, 'Not Found');
    this.wss ??= new WebSocketServer({ noServer: true });
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ch, ws));
  }

  private attach(ch: SimChannel, ws: WebSocket): void {
    // the channel may have gone during the handshake
    if (this.closed || this.liveChannel(ch.id) !== ch) {
      ws.close(CLOSE_GOING_AWAY, 'Channel not found');
      return;
    }
    const previous = ch.socket;
    ch.socket = ws;
    ch.connections += 1;
    ch.lastUsedMs = this.host.now();
    if (previous) {
      this.stopHeartbeat(previous);
      previous.close(CLOSE_REPLACED, 'Another WebSocket connected to this channel');
    }
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      let msg: unknown;
      try {
        msg = JSON.parse(rawText(data));
      } catch {
        return;
      }
      if (
        typeof msg === 'object' &&
        msg !== null &&
        (msg as { message?: unknown }).message === 'ping'
      )
        send(ws, PONG_MESSAGE);
    });
    ws.on('close', () => {
      this.stopHeartbeat(ws);
      if (ch.socket === ws) ch.socket = undefined;
    });
    ws.on('error', () => {
      // a broken client socket; 'close' follows
    });
    this.scheduleHeartbeat(ws);
  }

  private scheduleHeartbeat(ws: WebSocket): void {
    const timer = setTimeout(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      send(ws, HEARTBEAT_MESSAGE);
      this.scheduleHeartbeat(ws);
    }, this.host.settings.notificationHeartbeatMs);
    timer.unref();
    this.heartbeats.set(ws, timer);
  }

  private stopHeartbeat(ws: WebSocket): void {
    const timer = this.heartbeats.get(ws);
    if (timer) clearTimeout(timer);
    this.heartbeats.delete(ws);
  }

  // ---- control -----------------------------------------------------------------------------

  views(): NotificationChannelView[] {
    return [...this.live()].map((ch) => ({
      id: ch.id,
      clientId: ch.owner.clientId,
      topics: ch.topics.slice(),
      connected: ch.socket?.readyState === WebSocket.OPEN,
      expires: iso(ch.expiresAtMs),
      createdAt: iso(ch.createdAtMs),
      messagesSent: ch.messagesSent,
      connections: ch.connections,
    }));
  }

  /** A network cut: every socket destroyed without a close frame. Channels stay. */
  dropSockets(): number {
    let n = 0;
    for (const ch of this.channels.values()) {
      if (!ch.socket) continue;
      this.stopHeartbeat(ch.socket);
      ch.socket.terminate();
      ch.socket = undefined;
      n += 1;
    }
    return n;
  }

  /**
   * Maintenance: `v2.system.socket_closing` to every open socket, then each of those sockets that
   * is still open after `socketClosingGraceMs` is closed. A new socket on the same channel is left
   * alone. Answers how many sockets were told.
   */
  sendSocketClosing(): number {
    const told: WebSocket[] = [];
    for (const ch of this.channels.values()) {
      const ws = ch.socket;
      if (!ws || ws.readyState !== WebSocket.OPEN) continue;
      send(ws, {
        topicName: SOCKET_CLOSING_TOPIC,
        eventBody: {
          channelId: ch.id,
          oauthClientId: ch.owner.clientId,
          message: 'WebSocket closing for maintenance; connect a new WebSocket within one minute',
        },
        metadata: { CorrelationId: randomUUID() },
      });
      told.push(ws);
    }
    if (told.length > 0) {
      const timer = setTimeout(() => {
        this.graceTimers.delete(timer);
        for (const ws of told)
          if (ws.readyState === WebSocket.OPEN) ws.close(CLOSE_GOING_AWAY, 'Socket closing');
      }, this.host.settings.socketClosingGraceMs);
      timer.unref();
      this.graceTimers.add(timer);
    }
    return told.length;
  }

  /** Expires every channel now: sockets closed, the channels gone (404). */
  expireChannels(): number {
    const all = [...this.channels.values()];
    for (const ch of all) this.remove(ch, 'Channel expired');
    return all.length;
  }

  setSocketsRefused(on: boolean): boolean {
    this.refused = on;
    return on;
  }

  get socketsRefused(): boolean {
    return this.refused;
  }

  /** Closes every socket and clears every timer (the simulator is stopping). */
  close(): void {
    this.closed = true;
    for (const ch of this.channels.values()) {
      if (ch.expiryTimer) clearTimeout(ch.expiryTimer);
      ch.socket?.terminate();
      ch.socket = undefined;
    }
    this.channels.clear();
    for (const t of this.graceTimers) clearTimeout(t);
    this.graceTimers.clear();
    for (const t of this.heartbeats.values()) clearTimeout(t);
    this.heartbeats.clear();
    for (const ws of this.wss?.clients ?? []) ws.terminate();
    this.wss?.close();
  }

  // ---- internals ---------------------------------------------------------------------------

  private body(ch: SimChannel, wsBase: string | undefined): ChannelBody {
    return {
      id: ch.id,
      connectUri: `${wsBase ?? this.publicWsBase}/channels/${ch.id}`,
      expires: iso(ch.expiresAtMs),
    };
  }

  private setTopics(ch: SimChannel, topics: string[]): void {
    ch.topics = topics;
    ch.receives = new Set(topics.flatMap(expandTopic));
  }

  /** A full lifetime from now (creation and every successful subscribe). */
  private renew(ch: SimChannel): void {
    const ttl = this.host.settings.notificationChannelTtlMs;
    ch.expiresAtMs = this.host.now() + ttl;
    if (ch.expiryTimer) clearTimeout(ch.expiryTimer);
    // setTimeout holds at most 2^31-1 ms; a longer life is checked against the clock on use
    ch.expiryTimer = setTimeout(
      () => this.remove(ch, 'Channel expired'),
      Math.min(ttl, 2 ** 31 - 1),
    );
    ch.expiryTimer.unref();
  }

  private remove(ch: SimChannel, reason: string): void {
    if (ch.expiryTimer) clearTimeout(ch.expiryTimer);
    ch.expiryTimer = undefined;
    if (this.channels.get(ch.id) === ch) this.channels.delete(ch.id);
    const ws = ch.socket;
    ch.socket = undefined;
    if (ws) {
      this.stopHeartbeat(ws);
      ws.close(CLOSE_GOING_AWAY, reason);
    }
  }

  private liveChannel(id: string): SimChannel | undefined {
    const ch = this.channels.get(id);
    if (!ch) return undefined;
    if (this.host.now() >= ch.expiresAtMs) {
      this.remove(ch, 'Channel expired');
      return undefined;
    }
    return ch;
  }

  private find(id: string, owner: ChannelOwner): SimChannel | undefined {
    const ch = this.liveChannel(id);
    return ch && ch.owner.clientId === owner.clientId ? ch : undefined;
  }

  private *live(): Generator<SimChannel> {
    for (const id of [...this.channels.keys()]) {
      const ch = this.liveChannel(id);
      if (ch) yield ch;
    }
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function send(ws: WebSocket, message: unknown): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

function reject(socket: Duplex, status: number, text: string): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
