import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = resolve(BENCH_DIR, '..');

export const repoPath = (...parts: string[]) => join(REPO_ROOT, ...parts);
export const benchPath = (...parts: string[]) => join(BENCH_DIR, ...parts);

/** BENCH_QUICK=1: the ~2-minute smoke run with smaller numbers. */
export const QUICK = ['1', 'true', 'yes'].includes((process.env.BENCH_QUICK ?? '').toLowerCase());

/** Picks the full or the quick value. */
export const size = <T>(full: T, quick: T): T => (QUICK ? quick : full);

export const SECTION_IDS = [
  'ingest',
  'pipeline',
  'scaleout',
  'limiter',
  'latency',
  'burst',
  'cluster',
] as const;
export type SectionId = (typeof SECTION_IDS)[number];

/** BENCH_ONLY=ingest,limiter selects sections (default: all). Unknown names stop the run. */
export function selectedSections(raw = process.env.BENCH_ONLY): SectionId[] {
  if (!raw || raw.trim() === '') return [...SECTION_IDS];
  const names = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = names.filter((n) => !(SECTION_IDS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_ONLY: unknown section(s) ${unknown.join(', ')}; choose from ${SECTION_IDS.join(', ')}`,
    );
  }
  return SECTION_IDS.filter((id) => names.includes(id));
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  ramGb: number;
  node: string;
  redis: string;
  postgres: string;
  commit: string;
  date: string;
}

const tryExec = (cmd: string, args: string[], cwd = REPO_ROOT): string | undefined => {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
};

export function machineInfo(versions: { redis: string; postgres: string }): MachineInfo {
  const all = cpus();
  const dirty = tryExec('git', ['status', '--porcelain']) ? ' (uncommitted changes)' : '';
  return {
    cpu: all[0]?.model.trim() ?? 'unknown',
    cores: all.length,
    ramGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    redis: versions.redis,
    postgres: versions.postgres,
    commit: `${tryExec('git', ['rev-parse', '--short', 'HEAD']) ?? 'unknown'}${dirty}`,
    date: new Date().toISOString(),
  };
}
