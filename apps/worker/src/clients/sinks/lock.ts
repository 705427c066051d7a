import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Thrown when another live process holds the embedded warehouse. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number | undefined,
  ) {
    super(
      `the embedded warehouse in DATA_DIR=${dataDir} is already open by ${
        holderPid === undefined ? 'another process' : `process ${holderPid}`
      }; it serves one process only. Stop that process, use another DATA_DIR, or set WAREHOUSE_URL ` +
        '(postgres:// or https://) to run several workers.',
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DirLock {
  path: string;
  release(): Promise<void>;
}

/** Lock files this process holds (a lock naming our own pid but not held here is left over from a previous run with a reused pid, e.g. pid 1 in a container). */
const held = new Set<string>();

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

/** A lock file just created whose pid is not written yet is treated as held for this long. */
const FRESH_MS = 5_000;

/**
 * Takes `<dataDir>/<name>` exclusively: `open(path, 'wx')` with our pid inside. A lock whose pid
 * is no longer alive is stale and taken over; a live holder makes it throw DataDirLockedError.
 */
export async function acquireDirLock(dataDir: string, name = 'warehouse.lock'): Promise<DirLock> {
  const dir = resolve(dataDir);
  const path = join(dir, name);
  await mkdir(dir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    try {
      const file = await open(path, 'wx');
      try {
        await file.writeFile(`${process.pid}\n`);
      } finally {
        await file.close();
      }
      held.add(path);
      return { path, release: () => releaseLock(path) };
    } catch (err) {
      if (codeOf(err) !== 'EEXIST' || attempt >= 3) throw err;
    }
    const holder = await readHolder(path);
    if (holder === 'fresh') throw new DataDirLockedError(dataDir, undefined);
    if (holder !== undefined && isAlive(holder) && (holder !== process.pid || held.has(path))) {
      throw new DataDirLockedError(dataDir, holder);
    }
    await unlink(path).catch((err: unknown) => {
      if (codeOf(err) !== 'ENOENT') throw err;
    });
  }
}

/** The pid in the lock file; 'fresh' when it is empty but brand new; undefined when gone or garbage. */
async function readHolder(path: string): Promise<number | 'fresh' | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    const pid = Number(text);
    if (text !== '' && Number.isInteger(pid) && pid > 0) return pid;
    const { mtimeMs } = await stat(path);
    return Date.now() - mtimeMs < FRESH_MS ? 'fresh' : undefined;
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

async function releaseLock(path: string): Promise<void> {
  if (!held.delete(path)) return;
  try {
    if (Number((await readFile(path, 'utf8')).trim()) === process.pid) await unlink(path);
  } catch (err) {
    if (codeOf(err) !== 'ENOENT') throw err;
  }
}
