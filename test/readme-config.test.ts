import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ENV_NAMES, envSchema, type EnvName } from '@wrapup/shared';
import { configRows } from './support/readme-config';

/** A variable's value as the schema reads `raw`, in the README's notation. */
const readAs = (name: EnvName, raw: string | undefined) => {
  const value: unknown = v.parse(envSchema[name], raw);
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.join(',');
  if (value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  throw new Error(`unexpected default for ${name}: ${JSON.stringify(value)}`);
};
const defaultOf = (name: EnvName) => readAs(name, undefined);

describe('README configuration table', () => {
  const rows = configRows();
  const documented = rows.flatMap((r) => r.names);

  it('lists every variable the config schema reads, and nothing else', () => {
    expect([...documented].sort()).toEqual([...ENV_NAMES].sort());
  });

  it('documents each default as the schema applies it', () => {
    for (const { names, defaults } of rows) {
      names.forEach((name, i) => {
        const actual = defaultOf(name as EnvName);
        const doc = defaults.length === names.length ? defaults[i] : defaults[0];
        if (actual === undefined) expect(doc, name).toBeUndefined();
        // a duration is documented as written (`50h`) and compared as the schema reads it
        else if (doc !== actual && doc !== undefined && /^\d+(ms|s|m|h|d)$/.test(doc))
          expect(readAs(name as EnvName, doc), name).toBe(actual);
        else expect(doc, name).toBe(actual);
      });
    }
  });
});
