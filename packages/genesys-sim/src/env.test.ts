import { describe, expect, it } from 'vitest';
import { readSimEnv } from './env';

describe('readSimEnv', () => {
  it('defaults to port 8787', () => {
    expect(readSimEnv({})).toEqual({ port: 8787 });
  });

  it('reads every SIM_* variable', () => {
    expect(
      readSimEnv({
        SIM_PORT: '9000',
        SIM_HOST: '0.0.0.0',
        SIM_CLIENT_ID: 'id',
        SIM_CLIENT_SECRET: 'secret',
        SIM_ANALYTICS_LAG_MS: '0',
        SIM_ANALYTICS_LAG_JITTER_MS: '1500',
        SIM_RATE_LIMIT_PER_MINUTE: '60',
        SIM_TOKEN_TTL_SECONDS: '30',
        SIM_REQUEST_LOG_LIMIT: '250000',
      }),
    ).toEqual({
      port: 9000,
      host: '0.0.0.0',
      clientId: 'id',
      clientSecret: 'secret',
      analyticsLagMs: 0,
      analyticsLagJitterMs: 1500,
      rateLimitPerMinute: 60,
      tokenTtlSeconds: 30,
      requestLogLimit: 250_000,
    });
  });

  it('names the variable that does not parse', () => {
    expect(() => readSimEnv({ SIM_PORT: 'eighty' })).toThrow(/^SIM_PORT: must be an integer/);
    expect(() => readSimEnv({ SIM_PORT: '70000' })).toThrow(/^SIM_PORT: must be from 0 to 65535/);
    expect(() => readSimEnv({ SIM_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(
      /^SIM_RATE_LIMIT_PER_MINUTE/,
    );
    expect(() => readSimEnv({ SIM_ANALYTICS_LAG_MS: '-1' })).toThrow(/^SIM_ANALYTICS_LAG_MS/);
    expect(() => readSimEnv({ SIM_REQUEST_LOG_LIMIT: 'lots' })).toThrow(/^SIM_REQUEST_LOG_LIMIT/);
    expect(() => readSimEnv({ SIM_CLIENT_ID: ' ' })).toThrow(/^SIM_CLIENT_ID: must not be empty/);
    expect(() => readSimEnv({ SIM_SEED: '1.5' })).toThrow(
      'SIM_SEED: must be an integer, got "1.5"',
    );
    expect(() => readSimEnv({ SIM_PORT: '70000' })).toThrow(
      'SIM_PORT: must be from 0 to 65535, got 70000',
    );
  });

  it('trims values, treats an empty number as unset and ignores other variables', () => {
    expect(
      readSimEnv({ SIM_PORT: ' 9001 ', SIM_HOST: ' ::1 ', SIM_SEED: '', PATH: '/bin' }),
    ).toEqual({
      port: 9001,
      host: '::1',
    });
  });
});
