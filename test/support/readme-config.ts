import { readFileSync } from 'node:fs';

/** A row of the README's configuration table: the variables it names and their documented defaults. */
export interface ConfigRow {
  names: string[];
  defaults: string[];
}

/** The README at the repository root. */
export const readReadme = () => readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Rows of the first table under "## Configuration": [names, documented defaults]. */
export function configRows(readme: string = readReadme()): ConfigRow[] {
  const section = readme.split(/^## Configuration\s*$/m)[1]?.split(/^## /m)[0] ?? '';
  return section
    .split('\n')
    .filter((line) => /^\|\s*`[A-Z_]+`/.test(line))
    .map((line) => {
      const [names = '', defaults = ''] = line.split('|').slice(1, 3);
      const ticks = (s: string) => [...s.matchAll(/`([^`]*)`/g)].map((m) => m[1] ?? '');
      return { names: ticks(names), defaults: ticks(defaults) };
    });
}

/** Every variable the README's configuration table documents. */
export const documentedVariables = (readme?: string) => configRows(readme).flatMap((r) => r.names);
