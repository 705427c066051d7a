import { readFile, stat } from 'node:fs/promises';
import * as v from 'valibot';
import { InventoryError } from './error';

const IdsSchema = v.array(
  v.union([
    v.pipe(v.string(), v.minLength(1)),
    v.pipe(
      v.looseObject({ id: v.string() }),
      v.transform((c) => c.id),
    ),
  ]),
);
/** `["id", ...]`, `[{ "id": ... }, ...]`, or either under `{ "campaigns": [...] }`. */
export const InventoryFileSchema = v.union([
  IdsSchema,
  v.pipe(
    v.looseObject({ campaigns: IdsSchema }),
    v.transform((f) => f.campaigns),
  ),
]);

/** The campaign ids of an INVENTORY_FILE, read once and again whenever its mtime or size changes. */
export function createFileIds(path: string): () => Promise<ReadonlySet<string>> {
  let loaded: { mtimeMs: number; size: number; ids: ReadonlySet<string> } | undefined;
  return async () => {
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      throw new InventoryError(`inventory file ${path} cannot be read: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (loaded && loaded.mtimeMs === info.mtimeMs && loaded.size === info.size) return loaded.ids;
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      throw new InventoryError(
        `inventory file ${path} is not readable JSON: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const parsed = v.safeParse(InventoryFileSchema, json);
    if (!parsed.success) {
      throw new InventoryError(
        `inventory file ${path} must hold an array of campaign ids or {"campaigns": [...]}`,
      );
    }
    loaded = { mtimeMs: info.mtimeMs, size: info.size, ids: new Set(parsed.output) };
    return loaded.ids;
  };
}
