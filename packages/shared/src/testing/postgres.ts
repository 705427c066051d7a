import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface PgFixture {
  /** A fresh schema for this test (dropped by cleanup). */
  schema: string;
  databaseUrl: string;
  pool: pg.Pool;
  /** `${schema}.${table}`, for WAREHOUSE_TABLE. */
  table(name?: string): string;
  cleanup(): Promise<void>;
}

export async function createPgFixture(label = 't'): Promise<PgFixture> {
  const schema =
    `test_${label.replace(/[^a-z0-9_]/gi, '_')}_${randomBytes(5).toString('hex')}`.toLowerCase();
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
  try {
    await pool.query(`create schema "${schema}"`);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return {
    schema,
    databaseUrl: TEST_DATABASE_URL,
    pool,
    table: (name = 'campaign_reports') => `${schema}.${name}`,
    async cleanup() {
      await pool.query(`drop schema if exists "${schema}" cascade`);
      await pool.end();
    },
  };
}
