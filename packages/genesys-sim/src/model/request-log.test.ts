import { describe, expect, it } from 'vitest';
import { createControl } from '../control';
import { resolveOptions } from '../options';
import { RingLog } from './request-log';
import { SimState, type RequestLogEntry } from './state';

const entry = (i: number): RequestLogEntry => ({
  method: 'POST',
  path: `/api/v2/n/${i}`,
  token: null,
  time: new Date(i * 1000).toISOString(),
  status: 200,
  correlationId: `c${i}`,
  durationMs: 0,
});

describe('RingLog', () => {
  it('keeps the newest entries, oldest first, and counts the dropped ones', () => {
    const log = new RingLog<number>(3);
    for (let i = 1; i <= 2; i++) log.push(i);
    expect(log.toArray()).toEqual([1, 2]);
    for (let i = 3; i <= 7; i++) log.push(i);
    expect(log.toArray()).toEqual([5, 6, 7]);
    expect(log.size).toBe(3);
    expect(log.dropped).toBe(4);
    log.push(8);
    log.push(9);
    log.push(10);
    expect(log.toArray()).toEqual([8, 9, 10]);
  });

  it('clears, keeps nothing with limit 0 and rejects a bad limit', () => {
    const log = new RingLog<number>(2);
    [1, 2, 3].forEach((i) => log.push(i));
    log.clear();
    expect(log.toArray()).toEqual([]);
    log.push(4);
    expect(log.toArray()).toEqual([4]);
    expect(log.dropped).toBe(0);

    const none = new RingLog<number>(0);
    none.push(1);
    expect(none.toArray()).toEqual([]);
    expect(none.dropped).toBe(1);
    expect(() => new RingLog(-1)).toThrow(RangeError);
    expect(() => new RingLog(1.5)).toThrow(/integer >= 0/);
  });
});

describe('the request log of the simulator', () => {
  it('defaults to 100,000 entries, enough for a benchmark of 20,000+ calls', () => {
    const state = new SimState(resolveOptions({ demoCampaigns: false }));
    expect(state.requests.limit).toBe(100_000);
    for (let i = 0; i < 25_000; i++) state.logRequest(entry(i));
    const log = createControl(state).requestLog();
    expect(log).toHaveLength(25_000);
    expect(log[0]?.correlationId).toBe('c0');
    expect(log.at(-1)?.correlationId).toBe('c24999');
  });

  it('honours requestLogLimit and resets through the control API', () => {
    const state = new SimState(resolveOptions({ demoCampaigns: false, requestLogLimit: 4 }));
    const control = createControl(state);
    for (let i = 0; i < 10; i++) state.logRequest(entry(i));
    expect(control.requestLog().map((r) => r.correlationId)).toEqual(['c6', 'c7', 'c8', 'c9']);
    control.resetLog();
    expect(control.requestLog()).toEqual([]);
  });
});
