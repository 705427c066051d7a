import { request as httpRequest } from 'node:http';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { runIdFor } from '@wrapup/shared';
import { isRedisFailure } from './services/outcome';
import { API_KEY, campaignId, eventBridgeEvent, guideEvent, useHarness } from './testing/app';

const h = useHarness();

/** An ISO time `hours` before now: the ingest refuses events more than EVENT_MAX_AGE_DAYS old. */
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

describe('POST /webhooks/genesys answers', () => {
  it('202 accepted, with the job in Redis carrying a validated payload', async () => {
    const id = campaignId();
    const at = hoursAgo(1);
    const res = await h.postKeyed(guideEvent(id, { durationSeconds: 3600, timestamp: at }), {
      'webhook-id': `wh-${id}`,
    });
    expect(res.status).toBe(202);
    const runId = runIdFor(id, at);
    expect(await res.json()).toEqual({ status: 'accepted', eventId: `wh-${id}`, jobId: runId });
    const job = await h.ingest.queues.analytics.getJob(runId);
    expect(job?.name).toBe('run');
    expect(job?.data).toMatchObject({
      runId,
      campaignId: id,
      status: 'completed',
      occurredAt: at,
      durationSeconds: 3600,
      contactCount: 120,
      eventId: `wh-${id}`,
      shape: 'guide',
    });
    expect(job?.opts.attempts).toBe(6);
    expect(await h.ingest.runs.get(runId)).toMatchObject({
      stage: 'received',
      eventIds: [`wh-${id}`],
    });
  });

  it('200 duplicate for the same event, with the original job id', async () => {
    const id = campaignId();
    const at = hoursAgo(1);
    const first = await h.postKeyed(guideEvent(id, { timestamp: at }));
    const body = (await first.json()) as { eventId: string; jobId: string };
    const again = await h.postKeyed(guideEvent(id, { timestamp: at }));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({
      status: 'duplicate',
      eventId: body.eventId,
      jobId: body.jobId,
    });
    expect(body.eventId).toMatch(/^evt-[0-9a-f]{32}$/);
  });

  it('200 ignored for a non-trigger status and a heartbeat, with no job', async () => {
    const id = campaignId();
    const res = await h.postKeyed(
      eventBridgeEvent(id, { campaignStatus: 'stopping', time: hoursAgo(1) }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ignored',
      reason: 'status "stopping" starts no report',
    });
    const beat = await h.postKeyed({
      topicName: 'channel.metadata',
      eventBody: { message: 'WebSocket Heartbeat' },
    });
    expect(beat.status).toBe(200);
    expect(await beat.json()).toEqual({ status: 'ignored', reason: 'heartbeat' });
    expect(await h.ingest.runs.listForCampaign(id)).toEqual([]);
  });

  it('200 ignored for the progress topic and other topics, never 400', async () => {
    const id = campaignId();
    const progress = await h.postKeyed({
      topicName: `v2.outbound.campaigns.${id}.progress`,
      eventBody: {
        campaign: { id },
        numberOfContactsCalled: 12,
        totalNumberOfContacts: 40,
        percentage: 30,
      },
      metadata: { CorrelationId: 'c-1' },
    });
    expect(progress.status).toBe(200);
    const answer = (await progress.json()) as { status: string; reason: string };
    expect(answer.status).toBe('ignored');
    expect(answer.reason).toContain('.progress');
    const eb = eventBridgeEvent(id);
    const ebProgress = {
      ...eb,
      'detail-type': 'v2.outbound.campaigns.{id}.progress',
      detail: { ...eb.detail, topicName: `v2.outbound.campaigns.${id}.progress` },
    };
    expect((await h.postKeyed(ebProgress)).status).toBe(200);
    expect(await h.ingest.runs.listForCampaign(id)).toEqual([]);
  });

  it('202 for a Notification API finish without dateModified, dated when it was received', async () => {
    const id = campaignId();
    const before = Date.now();
    const res = await h.postKeyed({
      topicName: `v2.outbound.campaigns.${id}`,
      eventBody: { id, name: 'No date', campaignStatus: 'complete', version: 4 },
      metadata: { CorrelationId: 'corr-1' },
    });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const job = await h.ingest.queues.analytics.getJob(jobId);
    const data = job?.data as { occurredAt: string } | undefined;
    expect(Date.parse(data?.occurredAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
    expect(job?.data).toMatchObject({ shape: 'notification' });
  });

  it('acts on transitions: a re-sent complete copy (an edit) long after the run starts nothing', async () => {
    const id = campaignId();
    const first = await h.postKeyed(eventBridgeEvent(id, { time: hoursAgo(96) }));
    expect(first.status).toBe(202);
    const edit = await h.postKeyed(eventBridgeEvent(id, { time: hoursAgo(49) }));
    expect(edit.status).toBe(200);
    const ignored = (await edit.json()) as { status: string; reason: string };
    expect(ignored.status).toBe('ignored');
    expect(ignored.reason).toContain('already in this status');
    expect(await h.ingest.runs.listForCampaign(id)).toHaveLength(1);
    // after an `on`, the next complete is a transition again
    await h.postKeyed(eventBridgeEvent(id, { campaignStatus: 'on', time: hoursAgo(24) }));
    expect((await h.postKeyed(eventBridgeEvent(id, { time: hoursAgo(20) }))).status).toBe(202);
    expect(await h.ingest.runs.listForCampaign(id)).toHaveLength(2);
  });

  it('remembers an `on` status and uses it as startedAt when the finish has no duration', async () => {
    const id = campaignId();
    const started = hoursAgo(3);
    const on = await h.postKeyed(eventBridgeEvent(id, { campaignStatus: 'on', time: started }));
    expect(on.status).toBe(200);
    expect(await on.json()).toMatchObject({ status: 'ignored' });
    expect(await h.ingest.runs.getStart(id)).toBe(started);
    const off = await h.postKeyed(
      eventBridgeEvent(id, { campaignStatus: 'off', time: hoursAgo(1) }),
    );
    expect(off.status).toBe(202);
    const { jobId } = (await off.json()) as { jobId: string };
    const job = await h.ingest.queues.analytics.getJob(jobId);
    expect(job?.data).toMatchObject({
      status: 'stopped',
      startedAt: started,
      shape: 'eventbridge',
    });
    expect(job?.data).not.toHaveProperty('durationSeconds');
  });

  it('400 for malformed JSON and for schema failures, with field paths', async () => {
    const bad = await h.postKeyed('{"eventType": ' as unknown as object);
    expect(bad.status).toBe(400);
    const badBody = (await bad.json()) as {
      error: string;
      issues: { path: string; message: string }[];
    };
    expect(badBody.error).toBe('invalid_payload');
    expect(badBody.issues[0]?.message).toMatch(/valid JSON/);

    const res = await h.post(
      JSON.stringify({
        eventType: 'outbound.campaign.completed',
        timestamp: 'yesterday',
        data: { campaignId: 'has space', status: 'completed' },
      }),
      { 'x-api-key': API_KEY },
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string; message: string }[] };
    expect(body.issues.map((i) => i.path)).toContain('data.campaignId');
    for (const issue of body.issues) expect(typeof issue.message).toBe('string');
  });

  it('401 without credentials or with a wrong key', async () => {
    const none = await h.post(guideEvent(campaignId()));
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: 'unauthorized' });
    expect(
      (await h.post(guideEvent(campaignId()), { 'x-api-key': 'not-the-key-at-all' })).status,
    ).toBe(401);
  });

  it('415 for a body that is not JSON', async () => {
    const res = await fetch(`${h.url}/webhooks/genesys`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-api-key': API_KEY },
      body: 'hello',
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ error: 'unsupported_media_type' });
  });

  it('413 for a declared Content-Length over the limit', async () => {
    const res = await h.postKeyed({ pad: 'x'.repeat(5000) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('413 for a chunked body that passes the limit, without reading the rest', async () => {
    const { status, sent } = await new Promise<{ status: number; sent: number }>(
      (resolve, reject) => {
        let sent = 0;
        let stop = false;
        const req = httpRequest(`${h.url}/webhooks/genesys`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-api-key': API_KEY,
            'transfer-encoding': 'chunked',
          },
        });
        req.on('response', (res) => {
          stop = true;
          res.resume();
          resolve({ status: res.statusCode ?? 0, sent });
        });
        req.on('error', (err) => (stop ? undefined : reject(err)));
        const chunk = Buffer.alloc(1024, 'x');
        const pump = () => {
          while (!stop && sent < 50 * 1024 * 1024) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      },
    );
    expect(status).toBe(413);
    expect(sent).toBeLessThan(50 * 1024 * 1024);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });

  it('leaves every Redis key it writes under the prefix', async () => {
    const id = campaignId('prefix');
    expect((await h.postKeyed(guideEvent(id, { timestamp: hoursAgo(1) }))).status).toBe(202);
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await h.fx.redis.scan(cursor, 'MATCH', `*${id}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.startsWith(`${h.fx.prefix}:`)).toBe(true);
  });
});

type Issues = { error: string; issues: { path: string; message: string }[] };

describe('event times, windows and campaign ids (issue 13)', () => {
  const FUTURE = { path: 'timestamp', message: 'is more than 300 s in the future' };

  it('400 for a finish dated 2099, which then does not make the real finish a duplicate', async () => {
    const id = campaignId('future');
    const bad = await h.postKeyed(guideEvent(id, { timestamp: '2099-01-01T00:00:00.000Z' }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid_payload', issues: [FUTURE] });
    expect(await h.ingest.runs.listForCampaign(id)).toEqual([]);
    const real = await h.postKeyed(guideEvent(id, { timestamp: hoursAgo(1) }));
    expect(real.status).toBe(202);
  });

  it('400 for an `on` dated 9999, so a real start is still remembered', async () => {
    const id = campaignId('on9999');
    const bad = await h.postKeyed(
      eventBridgeEvent(id, { campaignStatus: 'on', time: '9999-12-31T00:00:00.000Z' }),
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Issues).issues).toEqual([
      { path: 'detail.timestamp', message: 'is more than 300 s in the future' },
    ]);
    const started = hoursAgo(2);
    expect(
      (await h.postKeyed(eventBridgeEvent(id, { campaignStatus: 'on', time: started }))).status,
    ).toBe(200);
    expect(await h.ingest.runs.getStart(id)).toBe(started);
  });

  it('400 for times older than EVENT_MAX_AGE_DAYS, in every shape, naming the field', async () => {
    const id = campaignId('old');
    const guide = await h.postKeyed(guideEvent(id, { timestamp: hoursAgo(31 * 24) }));
    expect(guide.status).toBe(400);
    expect(((await guide.json()) as Issues).issues).toEqual([
      { path: 'timestamp', message: 'is more than 30 days old' },
    ]);
    const note = await h.postKeyed({
      topicName: `v2.outbound.campaigns.${id}`,
      eventBody: { id, campaignStatus: 'complete', dateModified: '2020-01-01T00:00:00Z' },
    });
    expect(note.status).toBe(400);
    expect(((await note.json()) as Issues).issues).toEqual([
      { path: 'eventBody.dateModified', message: 'is more than 30 days old' },
    ]);
    expect(await h.ingest.runs.listForCampaign(id)).toEqual([]);
  });

  it('400, not 503, for a timestamp in epoch microseconds; epoch seconds are read as seconds', async () => {
    const id = campaignId('micro');
    const atMs = Date.now() - 3_600_000;
    const micro = await h.postKeyed({ ...guideEvent(id), timestamp: atMs * 1000 });
    expect(micro.status).toBe(400);
    expect(((await micro.json()) as Issues).issues).toEqual([FUTURE]);
    const seconds = Math.floor(atMs / 1000);
    const ok = await h.postKeyed({ ...guideEvent(id), timestamp: seconds });
    expect(ok.status).toBe(202);
    const { jobId } = (await ok.json()) as { jobId: string };
    expect((await h.ingest.queues.analytics.getJob(jobId))?.data).toMatchObject({
      occurredAt: new Date(seconds * 1000).toISOString(),
    });
  });

  it('400 for a durationSeconds longer than MAX_WINDOW_DAYS', async () => {
    for (const durationSeconds of [31 * 86_400 + 1, 1.7e9, 1e308]) {
      const res = await h.postKeyed(
        guideEvent(campaignId('long'), { timestamp: hoursAgo(1), durationSeconds }),
      );
      expect(res.status).toBe(400);
      expect(((await res.json()) as Issues).issues).toEqual([
        {
          path: 'data.durationSeconds',
          message: 'must be at most 2678400 (31 days, the longest analytics window)',
        },
      ]);
    }
  });

  it('400 for campaign ids made of dots or not starting with a letter or digit', async () => {
    for (const id of ['.', '..', '.x', '-x']) {
      const res = await h.postKeyed(guideEvent(id, { timestamp: hoursAgo(1) }));
      expect(res.status).toBe(400);
      expect(((await res.json()) as Issues).issues).toEqual([
        {
          path: 'data.campaignId',
          message:
            'must be a string of 1 to 128 letters, digits, -, _, ., : starting with a letter or digit',
        },
      ]);
    }
  });

  it('500, not 503 with Retry-After, when the run store refuses its input (no Redis failure)', async () => {
    const runs = h.ingest.runs as unknown as Record<string, unknown>;
    runs.intake = () => Promise.reject(new Error('RunStore.intake: occurredAt is not a date: x'));
    try {
      const res = await h.postKeyed(
        guideEvent(campaignId('own-check'), { timestamp: hoursAgo(1) }),
      );
      expect(res.status).toBe(500);
      expect(res.headers.get('retry-after')).toBeNull();
    } finally {
      delete runs.intake;
    }
    expect(
      (await h.postKeyed(guideEvent(campaignId('own-check'), { timestamp: hoursAgo(1) }))).status,
    ).toBe(202);
  });

  it('tells Redis failures from everything else (real ioredis errors)', async () => {
    const away = new Redis('redis://127.0.0.1:1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    away.on('error', () => undefined);
    const slow = new Redis(h.fx.redisUrl, { commandTimeout: 1 });
    try {
      const offline = await away.get('x').catch((err: unknown) => err);
      expect(isRedisFailure(offline)).toBe(true);
      const timedOut = await slow.blpop(`${h.fx.prefix}:never`, 1).catch((err: unknown) => err);
      expect(isRedisFailure(timedOut)).toBe(true);
      const reply = await h.fx.redis.call('NO-SUCH-COMMAND').catch((err: unknown) => err);
      expect(isRedisFailure(reply)).toBe(true);
      // an error raised by a Lua script (its input or its code) is no outage
      const script = await h.fx.redis
        .eval("return redis.call('get', {})", 0)
        .catch((err: unknown) => err);
      expect(isRedisFailure(script)).toBe(false);
      expect(isRedisFailure(new Error('RunStore.intake: occurredAt is not a date: x'))).toBe(false);
      expect(isRedisFailure(new RangeError('Invalid time value'))).toBe(false);
      expect(isRedisFailure('down')).toBe(false);
    } finally {
      away.disconnect();
      slow.disconnect();
    }
  });
});
