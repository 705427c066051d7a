import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgFixture, TEST_DATABASE_URL } from './postgres';
import { createRedisFixture, deleteKeys, TEST_REDIS_URL, uniquePrefix } from './redis';
import { waitFor } from './wait';

describe('redis fixture', () => {
  let observer: Redis;
  beforeAll(async () => {
    observer = new Redis(TEST_REDIS_URL, { lazyConnect: true });
    await observer.connect();
  });
  afterAll(async () => {
    await observer.quit();
  });

  it('gives each fixture its own prefix', async () => {
    const a = await createRedisFixture('iso');
    const b = await createRedisFixture('iso');
    try {
      expect(a.prefix).toMatch(/^test-iso-[0-9a-f]{10}$/);
      expect(a.prefix).not.toBe(b.prefix);
      expect(uniquePrefix()).toMatch(/^test-t-[0-9a-f]{10}$/);
      expect(await a.redis.ping()).toBe('PONG');
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });

  it('cleanup removes every key under its prefix and nothing else', async () => {
    const a = await createRedisFixture('clean');
    const b = await createRedisFixture('clean');
    await a.redis.set(`${a.prefix}:analytics:1`, 'x');
    await a.redis.hset(`${a.prefix}:runs:r1`, 'stage', 'received');
    await a.redis.set(`${a.prefix}-bare`, 'x'); // same prefix, no colon
    for (let i = 0; i < 1500; i += 1) await a.redis.sadd(`${a.prefix}:many:${i % 1200}`, String(i));
    await b.redis.set(`${b.prefix}:analytics:1`, 'y');

    expect((await observer.keys(`${a.prefix}*`)).length).toBe(1203);
    await a.cleanup();

    expect(await observer.keys(`${a.prefix}*`)).toEqual([]);
    expect(await observer.get(`${b.prefix}:analytics:1`)).toBe('y');
    expect(a.redis.status).toBe('end');
    await b.cleanup();
    expect(await observer.keys(`${b.prefix}*`)).toEqual([]);
  });

  it('deleteKeys returns how many it deleted', async () => {
    const prefix = uniquePrefix('del');
    await observer.mset(`${prefix}:a`, '1', `${prefix}:b`, '2');
    expect(await deleteKeys(observer, `${prefix}:*`)).toBe(2);
    expect(await deleteKeys(observer, `${prefix}:*`)).toBe(0);
  });
});

describe('pg fixture', () => {
  const schemaExists = async (client: pg.Pool, schema: string) =>
    (
      await client.query('select 1 from information_schema.schemata where schema_name = $1', [
        schema,
      ])
    ).rowCount === 1;

  let observer: pg.Pool;
  beforeAll(() => {
    observer = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
  });
  afterAll(async () => {
    await observer.end();
  });

  it('creates a fresh schema and drops it with its tables on cleanup', async () => {
    const fx = await createPgFixture('My-Test');
    expect(fx.schema).toMatch(/^test_my_test_[0-9a-f]{10}$/);
    expect(fx.databaseUrl).toBe(TEST_DATABASE_URL);
    expect(fx.table()).toBe(`${fx.schema}.campaign_reports`);
    expect(fx.table('other')).toBe(`${fx.schema}.other`);
    expect(await schemaExists(observer, fx.schema)).toBe(true);

    await fx.pool.query(`create table ${fx.table()} (report_id text primary key)`);
    await fx.pool.query(`insert into ${fx.table()} values ('rpt-1')`);
    const rows = await observer.query<{ report_id: string }>(`select report_id from ${fx.table()}`);
    expect(rows.rows).toEqual([{ report_id: 'rpt-1' }]);

    await fx.cleanup();
    expect(await schemaExists(observer, fx.schema)).toBe(false);
    await expect(fx.pool.query('select 1')).rejects.toThrow();
  });

  it('keeps two fixtures apart', async () => {
    const a = await createPgFixture('iso');
    const b = await createPgFixture('iso');
    try {
      expect(a.schema).not.toBe(b.schema);
      await a.pool.query(`create table ${a.table()} (x int)`);
      const inB = await observer.query(
        'select 1 from information_schema.tables where table_schema = $1',
        [b.schema],
      );
      expect(inB.rowCount).toBe(0);
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });
});

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    const started = Date.now();
    const value = await waitFor(() => (++n >= 3 ? `done after ${n}` : undefined), {
      intervalMs: 10,
    });
    expect(value).toBe('done after 3');
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('times out naming what it waited for and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('not yet');
        },
        { timeoutMs: 60, intervalMs: 10, what: 'the report row' },
      ),
    ).rejects.toThrow('timed out after 60 ms waiting for the report row: Error: not yet');
  });
});
