import { isAbsolute, join, relative } from 'node:path';
import type { Config } from '@wrapup/shared';
import { redactUrl } from './shell';

/** A path as people type it: `./data/warehouse` inside the working directory, else absolute. */
export function displayPath(path: string, cwd = process.cwd()): string {
  const abs = isAbsolute(path) ? path : join(cwd, path);
  const rel = relative(cwd, abs);
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? abs : `./${rel}`;
}

/** Where reports land, in one phrase: `embedded warehouse (./data/warehouse), table campaign_reports`. */
export function describeWarehouse(w: Config['warehouse'], cwd = process.cwd()): string {
  if (w.url === undefined)
    return `embedded warehouse (${displayPath(join(w.dataDir, 'warehouse'), cwd)}), table ${w.table}`;
  const url = new URL(w.url);
  if (url.protocol === 'http:' || url.protocol === 'https:')
    return `HTTP warehouse ${redactUrl(`${url.origin}${url.pathname}`)}`;
  return `PostgreSQL ${url.host}${url.pathname}, table ${w.table}`;
}
