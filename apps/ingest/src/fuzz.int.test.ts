import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { API_KEY, eventBridgeEvent, guideEvent, useHarness } from './testing/app';

const h = useHarness();

/** A small deterministic PRNG so a failure can be replayed from its seed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? 20240501);
const rand = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const int = (n: number) => Math.floor(rand() * n);

const weird: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  '',
  ' ',
  'x'.repeat(300),
  [],
  {},
  [1, 2],
  { a: 1 },
  '2024-13-45T99:99:99Z',
  '\u0000',
  '💥',
  'on',
  'complete',
  -0.5,
  // times and ids that once got 202 or 503 (issue 13): future, ancient, epoch seconds and microseconds, dot ids
  '2099-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '1970-01-01T00:00:00Z',
  1.7e9,
  1.7e15,
  8.64e15,
  1e11,
  '.',
  '..',
  1.7e9 * 1000,
];

function mutate(value: unknown, depth = 0): unknown {
  if (depth > 4) return pick(weird);
  if (Array.isArray(value))
    return (value as unknown[]).map((v) => (rand() < 0.2 ? mutate(v, depth + 1) : v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = rand();
      if (r < 0.1) continue; // drop
      if (r < 0.3) out[k] = pick(weird);
      else if (r < 0.5) out[k] = mutate(v, depth + 1);
      else out[k] = v;
    }
    if (rand() < 0.2)
      out[pick(['__proto__', 'constructor', 'extra', 'detail', 'data', 'topicName'])] = pick(weird);
    return out;
  }
  return rand() < 0.5 ? pick(weird) : value;
}

function randomBody(i: number): string {
  const campaign = `fz-${int(20)}`;
  // within the event time horizon (EVENT_MAX_AGE_DAYS), so valid bodies are accepted
  const recent = () => new Date(Date.now() - int(1e9)).toISOString();
  const base = pick([
    () =>
      guideEvent(campaign, {
        status: pick(['completed', 'stopped', 'on', 'weird']),
        timestamp: recent(),
      }),
    () =>
      eventBridgeEvent(campaign, {
        campaignStatus: pick(['complete', 'off', 'forced_off', 'on', 'stopping', '']),
        time: recent(),
      }),
    () => ({
      topicName: pick([`v2.outbound.campaigns.${campaign}`, 'channel.metadata', 'v2.x']),
      eventBody: { id: campaign, campaignStatus: 'complete', dateModified: recent() },
    }),
  ])();
  const kind = i % 5;
  if (kind === 0)
    return randomBytes(int(300)).toString(pick(['utf8', 'latin1', 'base64'] as const));
  const text = JSON.stringify(kind === 1 ? base : mutate(base));
  if (kind === 4 && text.length > 2) {
    // byte-level damage: truncate, splice, or deep nesting
    const r = rand();
    if (r < 0.2)
      return text.replace(
        '{',
        pick(['{"__proto__":{"polluted":1},', '{"constructor":{"prototype":{}},', '{"data":null,']),
      );
    if (r < 0.4) return text.slice(0, int(text.length));
    if (r < 0.66)
      return (
        text.slice(0, int(text.length)) +
        pick(['"', '{', ']', '\\', '\u0000', '\ud800']) +
        text.slice(int(text.length))
      );
    return '['.repeat(int(3000)) + ']'.repeat(int(3000));
  }
  return text;
}

function randomHeaders(): Record<string, string> {
  const h: Record<string, string> = {};
  const r = rand();
  if (r < 0.7) h['x-api-key'] = API_KEY;
  else if (r < 0.8)
    h.authorization = pick([
      `Bearer ${API_KEY}`,
      'Bearer',
      'Basic Zm9vOmJhcg==',
      `Bearer ${'k'.repeat(2000)}`,
    ]);
  if (rand() < 0.2) {
    h['webhook-id'] = pick(['', 'msg_1', 'x'.repeat(500), 'ünïcode', `msg_${int(1000)}`]);
    h['webhook-timestamp'] = pick([
      '',
      'NaN',
      '0',
      '99999999999999999999',
      String(Math.floor(Date.now() / 1000)),
    ]);
    h['webhook-signature'] = pick([
      '',
      'v1,',
      'v1,AAAA',
      'v1,' + 'A'.repeat(44),
      'v2,abc v1,@@@',
      ' '.repeat(10),
    ]);
  }
  h['content-type'] =
    rand() < 0.9
      ? 'application/json'
      : pick([
          'text/plain',
          'application/json; charset=utf-8',
          'application/cloudevents+json',
          'multipart/form-data',
          '',
        ]);
  return h;
}

describe('fuzz', () => {
  it(`never answers 5xx to 2,000 random and mutated deliveries (seed ${SEED})`, async () => {
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    const total = 2_000;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const body = randomBody(i);
        const headers = randomHeaders();
        try {
          const res = await fetch(`${h.url}/webhooks/genesys`, { method: 'POST', headers, body });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status >= 500) failures.push(`#${i} ${res.status} ${body.slice(0, 120)}`);
        } catch (err) {
          failures.push(`#${i} request failed: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    expect(failures).toEqual([]);
    const count = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(count).toBe(total);
    // the mix really exercised several answers
    for (const status of [202, 200, 400, 401, 415])
      expect(statuses.get(status) ?? 0).toBeGreaterThan(0);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
  });
});
