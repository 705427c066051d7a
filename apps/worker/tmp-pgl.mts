import { PGlite } from '@electric-sql/pglite';
const t0 = Date.now();
const db = await PGlite.create('/tmp/pgl/data');
console.log('open ms', Date.now()-t0);
await db.exec('create schema if not exists "s"; create table if not exists "s"."t"(id text primary key, ts timestamptz, j jsonb, d double precision, i integer, b boolean)');
await db.query('insert into "s"."t" values ($1,$2,$3,$4,$5,$6) on conflict (id) do update set ts=excluded.ts', ['a', '2023-10-27T14:30:00.000Z', JSON.stringify({x:1}), 0.3, 5, true]);
const r = await db.query('select * from "s"."t"');
console.log(r.rows, typeof r.rows[0]);
await db.close();
