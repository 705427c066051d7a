import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ChannelBody, NotificationChannelView, TopicMessage } from './notifications';
import { startSimulator, type Simulator } from './server';
import { api, getToken } from './testing/helpers';

type Msg = Record<string, unknown> & { topicName?: string; eventBody?: Record<string, unknown> };

/** A real `ws` client that keeps every message and can wait for one. */
interface Client {
  ws: WebSocket;
  messages: Msg[];
  next(pred: (m: Msg) => boolean, timeoutMs?: number): Promise<Msg>;
  closed: Promise<{ code: number; reason: string }>;
}

const opened: WebSocket[] = [];

function connect(uri: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(uri);
    opened.push(ws);
    const messages: Msg[] = [];
    const waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as Msg;
      messages.push(msg);
      for (const w of waiters.splice(0))
        if (w.pred(msg)) w.resolve(msg);
        else waiters.push(w);
    });
    const closed = new Promise<{ code: number; reason: string }>((res) =>
      ws.on('close', (code: number, reason: Buffer) => res({ code, reason: reason.toString() })),
    );
    ws.on('error', reject);
    ws.on('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: ${res.statusCode}`)),
    );
    ws.on('open', () =>
      resolve({
        ws,
        messages,
        closed,
        next: (pred, timeoutMs = 3000) => {
          const seen = messages.find(pred);
          if (seen) return Promise.resolve(seen);
          return new Promise<Msg>((res, rej) => {
            const timer = setTimeout(
              () => rej(new Error(`no matching message in ${timeoutMs} ms`)),
              timeoutMs,
            );
            waiters.push({
              pred,
              resolve: (m) => {
                clearTimeout(timer);
                res(m);
              },
            });
          });
        },
      }),
    );
  });
}

/** The status an upgrade is refused with (fails if the upgrade succeeds). */
function refusedStatus(uri: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(uri);
    opened.push(ws);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => reject(new Error('upgrade was accepted')));
    ws.on('error', () => undefined);
  });
}

const isTopic = (topic: string) => (m: Msg) => m.topicName === topic;
const pong = (m: Msg) => m.topicName === 'channel.metadata' && m.eventBody?.message === 'pong';

/** A ping/pong round trip: everything the server sent before the pong has arrived. */
async function barrier(client: Client): Promise<void> {
  const before = client.messages.filter(pong).length;
  client.ws.send(JSON.stringify({ message: 'ping' }));
  const deadline = Date.now() + 3000;
  while (client.messages.filter(pong).length <= before) {
    if (Date.now() > deadline) throw new Error('no pong');
    await sleep(10);
  }
}

describe('Notification API', () => {
  let sim: Simulator;
  let token: string;
  const call = <T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    bearer = token,
  ) =>
    fetch(`${sim.url}/api/v2/notifications${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then(async (res) => {
      const text = await res.text();
      return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
    });
  const createChannel = async () => {
    const res = await call<Required<ChannelBody>>('POST', '/channels');
    expect(res.status).toBe(200);
    return res.body;
  };
  const subscribe = (id: string, topics: string[], method: 'POST' | 'PUT' = 'POST') =>
    call<{ entities: { id: string }[] }>(
      method,
      `/channels/${id}/subscriptions`,
      topics.map((t) => ({ id: t })),
    );
  const channel = async (id: string): Promise<NotificationChannelView | undefined> =>
    (await sim.notifications()).find((c) => c.id === id);

  beforeAll(async () => {
    sim = await startSimulator({ demoCampaigns: false, notificationHeartbeatMs: 150 });
    token = await getToken(sim);
  });
  afterEach(async () => {
    for (const ws of opened.splice(0)) ws.terminate();
    await sim.setSocketsRefused(false);
    await sim.expireChannels();
    await sim.setFaults({
      notificationChannelTtlMs: 24 * 3600_000,
      notificationTopicLimit: 1000,
      notificationChannelLimit: 20,
      socketClosingGraceMs: 60_000,
    });
  });
  afterAll(() => sim.close());

  it('creates a channel {id, connectUri, expires} on the simulator host, 24 h by default', async () => {
    const before = Date.now();
    const ch = await createChannel();
    expect(ch.id).toMatch(/^streaming-0-[a-z0-9]{26}$/);
    expect(ch.connectUri).toBe(`ws://127.0.0.1:${sim.port}/channels/${ch.id}`);
    const life = Date.parse(ch.expires) - before;
    expect(life).toBeGreaterThan(24 * 3600_000 - 5000);
    expect(life).toBeLessThanOrEqual(24 * 3600_000 + 5000);

    const list = await call<{ entities: ChannelBody[] }>('GET', '/channels');
    expect(list.status).toBe(200);
    expect(list.body.entities).toContainEqual(ch);

    const head = await fetch(`${sim.url}/api/v2/notifications/channels/${ch.id}`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(head.status).toBe(200);
    const headMissing = await fetch(`${sim.url}/api/v2/notifications/channels/streaming-0-nope`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(headMissing.status).toBe(404);
    // the platform has no GET of one channel
    expect((await call('GET', `/channels/${ch.id}`)).status).toBe(404);
  });

  it('sits behind the same token check as every /api/v2 route', async () => {
    const res = await call('POST', '/channels', undefined, 'not-a-token');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'bad.credentials', status: 401 });
  });

  it('lists only this token’s channels unless includechannels=oauthclient', async () => {
    const mine = await createChannel();
    const other = await getToken(sim);
    const theirs = await call<Required<ChannelBody>>('POST', '/channels', undefined, other);
    const byToken = await call<{ entities: ChannelBody[] }>('GET', '/channels');
    expect(byToken.body.entities.map((e) => e.id)).toContain(mine.id);
    expect(byToken.body.entities.map((e) => e.id)).not.toContain(theirs.body.id);
    const byClient = await call<{ entities: ChannelBody[] }>(
      'GET',
      '/channels?includechannels=oauthclient',
    );
    expect(byClient.body.entities).toContainEqual({ expires: theirs.body.expires });
  });

  it('POST adds subscriptions, PUT replaces them, GET lists them, DELETE removes them all', async () => {
    const ch = await createChannel();
    const a = 'v2.outbound.campaigns.a';
    const b = 'v2.outbound.campaigns.b';
    const c = 'v2.outbound.campaigns.c';
    expect((await subscribe(ch.id, [a])).body.entities).toEqual([{ id: a }]);
    expect((await subscribe(ch.id, [b, a])).body.entities).toEqual([{ id: a }, { id: b }]);
    expect((await call('GET', `/channels/${ch.id}/subscriptions`)).body).toEqual({
      entities: [{ id: a }, { id: b }],
    });
    expect((await subscribe(ch.id, [c], 'PUT')).body.entities).toEqual([{ id: c }]);
    expect((await call('DELETE', `/channels/${ch.id}/subscriptions`)).status).toBe(200);
    expect((await call('GET', `/channels/${ch.id}/subscriptions`)).body).toEqual({ entities: [] });

    const bad = await call('POST', `/channels/${ch.id}/subscriptions`, { id: a });
    expect(bad.status).toBe(400);
    expect((await subscribe('streaming-0-unknown', [a])).status).toBe(404);
  });

  it('sends a finished campaign’s copy to the subscribed channel in the platform’s shape', async () => {
    const campaign = await sim.createCampaign({ id: 'notified', contactCount: 20 });
    const topic = `v2.outbound.campaigns.${campaign.id}`;
    const ch = await createChannel();
    const idle = await createChannel(); // subscribed to another campaign: gets nothing
    await subscribe(ch.id, [topic, `${topic}.progress`]);
    await subscribe(idle.id, ['v2.outbound.campaigns.other']);
    const client = await connect(ch.connectUri);
    const idleClient = await connect(idle.connectUri);

    await sim.runToCompletion(campaign.id, { durationSeconds: 600 });
    const finished = await client.next(
      (m) => m.topicName === topic && m.eventBody?.campaignStatus === 'complete',
    );
    const copies = await sim.copies(campaign.id);
    const last = copies.at(-1);
    expect(last?.campaignStatus).toBe('complete');
    expect(Object.keys(finished).sort()).toEqual(['eventBody', 'metadata', 'topicName', 'version']);
    const msg = finished as unknown as TopicMessage;
    expect(msg.version).toBe('2');
    expect(msg.eventBody).toEqual(last?.body);
    expect(msg.metadata.CorrelationId).toMatch(/^[0-9a-f-]{36}$/);
    const progress = await client.next(isTopic(`${topic}.progress`));
    expect(progress.eventBody).toMatchObject({ totalNumberOfContacts: 20 });

    await barrier(idleClient);
    expect(idleClient.messages.filter((m) => m.topicName?.startsWith('v2.'))).toEqual([]);
    const view = await channel(ch.id);
    expect(view).toMatchObject({ connected: true, topics: [topic, `${topic}.progress`] });
    expect(view?.messagesSent).toBe(
      client.messages.filter((m) => m.topicName?.startsWith('v2.outbound')).length,
    );
  });

  it('sends a heartbeat every notificationHeartbeatMs and answers a ping with a pong', async () => {
    const ch = await createChannel();
    const started = Date.now();
    const client = await connect(ch.connectUri);
    const beats = () =>
      client.messages.filter((m) => m.eventBody?.message === 'WebSocket Heartbeat').length;
    const beat = await client.next((m) => m.eventBody?.message === 'WebSocket Heartbeat');
    expect(beat).toEqual({
      topicName: 'channel.metadata',
      eventBody: { message: 'WebSocket Heartbeat' },
    });
    await sleep(600);
    // every 150 ms: timers never fire early, so no more than one per 150 ms since the connect
    expect(beats()).toBeGreaterThanOrEqual(2);
    expect(beats()).toBeLessThanOrEqual(Math.floor((Date.now() - started) / 150));

    client.ws.send(JSON.stringify({ message: 'ping' }));
    expect(await client.next(pong)).toEqual({
      topicName: 'channel.metadata',
      eventBody: { message: 'pong' },
    });
  });

  it('refuses a subscription past the topic limit with a 400 and keeps the old list', async () => {
    await sim.setFaults({ notificationTopicLimit: 3 });
    const ch = await createChannel();
    const topics = ['a', 'b', 'c', 'd'].map((x) => `v2.outbound.campaigns.${x}`);
    const over = await subscribe(ch.id, topics);
    expect(over.status).toBe(400);
    expect(over.body).toMatchObject({ status: 400, code: 'bad.request' });
    expect((await subscribe(ch.id, topics.slice(0, 2))).status).toBe(200);
    expect((await subscribe(ch.id, topics.slice(2))).status).toBe(400);
    expect((await call('GET', `/channels/${ch.id}/subscriptions`)).body).toEqual({
      entities: topics.slice(0, 2).map((id) => ({ id })),
    });
    // a combined topic counts once and delivers under its expanded names
    const combined = `v2.outbound.campaigns.x?progress&y`;
    expect((await subscribe(ch.id, [combined])).status).toBe(200);
    await sim.createCampaign({ id: 'x' });
    const client = await connect(ch.connectUri);
    await sim.editCampaign('x', { name: 'renamed' });
    expect((await client.next(isTopic('v2.outbound.campaigns.x.progress'))).eventBody).toBeTruthy();
  });

  it('expires a channel after notificationChannelTtlMs: socket closed, then 404 everywhere', async () => {
    await sim.setFaults({ notificationChannelTtlMs: 400 });
    const ch = await createChannel();
    expect(Date.parse(ch.expires) - Date.now()).toBeLessThanOrEqual(400);
    const client = await connect(ch.connectUri);
    const closed = await client.closed;
    expect(closed.code).toBe(1001);
    expect((await call('GET', `/channels/${ch.id}/subscriptions`)).status).toBe(404);
    const notFound = await subscribe(ch.id, ['v2.outbound.campaigns.a']);
    expect(notFound.status).toBe(404);
    expect(notFound.body).toMatchObject({ status: 404, code: 'not.found' });
    expect(await refusedStatus(ch.connectUri)).toBe(404);
    expect(await channel(ch.id)).toBeUndefined();
  });

  it('renews a channel’s life on every successful subscribe', async () => {
    await sim.setFaults({ notificationChannelTtlMs: 1000 });
    const ch = await createChannel();
    await sleep(600);
    const renewed = await subscribe(ch.id, ['v2.outbound.campaigns.a']);
    expect(renewed.status).toBe(200);
    await sleep(600); // 1200 ms after creation: alive only because of the renewal
    expect((await call('GET', `/channels/${ch.id}/subscriptions`)).status).toBe(200);
    const listed = (await call<{ entities: ChannelBody[] }>('GET', '/channels')).body.entities;
    expect(Date.parse(listed.find((e) => e.id === ch.id)?.expires ?? '')).toBeGreaterThan(
      Date.parse(ch.expires),
    );
    await sleep(1000);
    expect((await call('GET', `/channels/${ch.id}/subscriptions`)).status).toBe(404);
  });

  it('expireChannels expires every channel now', async () => {
    const ch = await createChannel();
    const client = await connect(ch.connectUri);
    expect(await sim.expireChannels()).toBeGreaterThanOrEqual(1);
    expect((await client.closed).code).toBe(1001);
    expect((await call('GET', `/channels/${ch.id}/subscriptions`)).status).toBe(404);
  });

  it('replays nothing published while the socket was down (a network cut)', async () => {
    await sim.createCampaign({ id: 'cut' });
    const topic = 'v2.outbound.campaigns.cut';
    const ch = await createChannel();
    await subscribe(ch.id, [topic]);
    const first = await connect(ch.connectUri);
    await sim.editCampaign('cut', { name: 'seen' });
    expect((await first.next(isTopic(topic))).eventBody?.name).toBe('seen');

    expect(await sim.dropSockets()).toBe(1);
    expect((await first.closed).code).toBe(1006); // no close frame
    expect(await channel(ch.id)).toMatchObject({ connected: false, topics: [topic] });
    await sim.editCampaign('cut', { name: 'lost' });

    const second = await connect(ch.connectUri); // same channel, subscriptions kept
    await barrier(second);
    expect(second.messages.filter(isTopic(topic))).toEqual([]);
    await sim.editCampaign('cut', { name: 'after' });
    expect((await second.next(isTopic(topic))).eventBody?.name).toBe('after');
    expect((await channel(ch.id))?.messagesSent).toBe(2);
  });

  it('closes the older socket when a second one connects to the same channel', async () => {
    const ch = await createChannel();
    const older = await connect(ch.connectUri);
    const newer = await connect(ch.connectUri);
    expect((await older.closed).code).toBe(1000);
    await barrier(newer);
    expect(await channel(ch.id)).toMatchObject({ connected: true, connections: 2 });
  });

  it('sends v2.system.socket_closing, then closes the socket after the grace period', async () => {
    await sim.setFaults({ socketClosingGraceMs: 300 });
    const ch = await createChannel();
    const client = await connect(ch.connectUri);
    const told = Date.now();
    expect(await sim.sendSocketClosing()).toBe(1);
    const notice = await client.next(isTopic('v2.system.socket_closing'));
    expect(notice.eventBody).toMatchObject({ channelId: ch.id });
    expect(typeof notice.eventBody?.message).toBe('string');
    expect((await client.closed).code).toBe(1001);
    expect(Date.now() - told).toBeGreaterThanOrEqual(250);
    // the channel survives maintenance: a new socket connects to it
    const again = await connect(ch.connectUri);
    await barrier(again);
  });

  it('leaves a socket that reconnected during the grace period open', async () => {
    await sim.setFaults({ socketClosingGraceMs: 300 });
    const ch = await createChannel();
    const old = await connect(ch.connectUri);
    await sim.sendSocketClosing();
    await old.next(isTopic('v2.system.socket_closing'));
    const fresh = await connect(ch.connectUri);
    expect((await old.closed).code).toBe(1000); // replaced by the new one
    await sleep(500);
    expect(fresh.ws.readyState).toBe(WebSocket.OPEN);
    await barrier(fresh);
  });

  it('refuses upgrades while setSocketsRefused(true), and to unknown channels', async () => {
    const ch = await createChannel();
    await sim.setSocketsRefused(true);
    expect(await refusedStatus(ch.connectUri)).toBe(503);
    await sim.setSocketsRefused(false);
    const client = await connect(ch.connectUri);
    await barrier(client);
    expect(await refusedStatus(`ws://127.0.0.1:${sim.port}/channels/streaming-0-unknown`)).toBe(
      404,
    );
    expect(await refusedStatus(`ws://127.0.0.1:${sim.port}/elsewhere`)).toBe(404);
  });

  it('past the channel limit, removes the least recently used unconnected channel', async () => {
    await sim.expireChannels();
    await sim.setFaults({ notificationChannelLimit: 2 });
    const connected = await createChannel();
    const idle = await createChannel();
    await connect(connected.connectUri);
    const third = await createChannel();
    const ids = (await sim.notifications()).map((c) => c.id).sort();
    expect(ids).toEqual([connected.id, third.id].sort());
    expect((await call('GET', `/channels/${idle.id}/subscriptions`)).status).toBe(404);
  });

  it('has the same controls under /__sim/notifications', async () => {
    const ctl = (method: string, path: string, body?: unknown) =>
      fetch(`${sim.url}/__sim${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).then(async (res) => ({ status: res.status, body: await res.json() }));
    const ch = await createChannel();
    await subscribe(ch.id, ['v2.outbound.campaigns.z']);
    const client = await connect(ch.connectUri);
    const listed = (await ctl('GET', '/notifications')).body as {
      channels: NotificationChannelView[];
    };
    const api = (await call<{ entities: ChannelBody[] }>('GET', '/channels')).body.entities;
    expect(listed.channels.find((c) => c.id === ch.id)).toMatchObject({
      topics: ['v2.outbound.campaigns.z'],
      connected: true,
      expires: api.find((e) => e.id === ch.id)?.expires,
      messagesSent: 0,
    });
    expect(await ctl('POST', '/notifications/refuse-sockets', { on: 'yes' })).toMatchObject({
      status: 400,
    });
    expect(await ctl('POST', '/notifications/refuse-sockets', { on: true })).toEqual({
      status: 200,
      body: { refused: true },
    });
    expect(await refusedStatus(ch.connectUri)).toBe(503);
    await ctl('POST', '/notifications/refuse-sockets', { on: false });
    expect((await ctl('POST', '/notifications/drop-sockets')).body).toEqual({ dropped: 1 });
    await client.closed;
    const again = await connect(ch.connectUri);
    expect((await ctl('POST', '/notifications/socket-closing')).body).toEqual({ notified: 1 });
    await again.next(isTopic('v2.system.socket_closing'));
    expect((await ctl('POST', '/notifications/expire-channels')).body).toMatchObject({
      expired: 1,
    });
    expect((await again.closed).code).toBe(1001);

    const patched = await ctl('POST', '/faults', { notificationHeartbeatMs: 5000 });
    expect(patched.body).toMatchObject({ notificationHeartbeatMs: 5000 });
    expect((await ctl('POST', '/faults', { notificationTopicLimit: 0 })).status).toBe(400);
    await ctl('POST', '/faults', { notificationHeartbeatMs: 150 });
  });

  it('closes every socket when the simulator stops', async () => {
    const other = await startSimulator({ demoCampaigns: false });
    const otherToken = await getToken(other);
    const created = await api<Required<ChannelBody>>(
      other,
      otherToken,
      '/api/v2/notifications/channels',
      {},
    );
    const client = await connect(created.body.connectUri);
    await other.close();
    const closed = await client.closed;
    expect(closed.code).toBe(1006);
  });
});
