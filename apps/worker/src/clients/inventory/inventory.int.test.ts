import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createInventory, InventoryError } from './inventory';
import { apiRequests, clientFor, simWith } from '../../testing/genesys';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

const unusedGenesys = {
  getCampaign: () =>
    Promise.reject(new Error('Genesys must not be asked when an inventory is configured')),
};

/** A tiny inventory service: known ids answer 200, 'boom' answers 500, the rest 404. */
async function inventoryServer(known: string[]) {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const id = decodeURIComponent((req.url ?? '').replace(/^\/campaigns\//, ''));
    res.statusCode = id === 'boom' ? 500 : known.includes(id) ? 200 : 404;
    res.end(JSON.stringify({ id }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/campaigns/{campaignId}`, seen };
}

async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'wrapup-inventory-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('inventory', () => {
  it('INVENTORY_URL: 200 known, 404 unknown, other statuses and network errors throw retryable', async () => {
    const { url, seen } = await inventoryServer(['camp-1', 'a/b c']);
    const inventory = createInventory(
      { url, file: undefined },
      { genesys: unusedGenesys, timeoutMs: 1000 },
    );
    expect(inventory.source).toBe('url');
    expect(await inventory.check('camp-1')).toEqual({ known: true });
    expect(await inventory.check('a/b c')).toEqual({ known: true });
    expect(seen).toContain('/campaigns/a%2Fb%20c');
    const unknown = await inventory.check('camp-2');
    expect(unknown).toMatchObject({
      known: false,
      reason: expect.stringContaining('camp-2') as unknown,
    });

    const err = await inventory.check('boom').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InventoryError);
    expect(err).toMatchObject({ retryable: true, status: 500 });

    const down = createInventory(
      { url: 'http://127.0.0.1:1/{campaignId}', file: undefined },
      { genesys: unusedGenesys, timeoutMs: 500 },
    );
    await expect(down.check('camp-1')).rejects.toMatchObject({
      name: 'InventoryError',
      retryable: true,
    });
  });

  it('INVENTORY_FILE: an array or {campaigns}, re-read when the file changes', async () => {
    const dir = await tempDir();
    const file = join(dir, 'inventory.json');
    await writeFile(file, JSON.stringify(['camp-1', 'camp-2']));
    const inventory = createInventory(
      { url: undefined, file },
      { genesys: unusedGenesys, timeoutMs: 1000 },
    );
    expect(inventory.source).toBe('file');
    expect(await inventory.check('camp-1')).toEqual({ known: true });
    expect(await inventory.check('camp-3')).toMatchObject({ known: false });

    await writeFile(
      file,
      JSON.stringify({ campaigns: ['camp-3', { id: 'camp-4', name: 'Four' }] }),
    );
    const later = new Date(Date.now() + 5000);
    await utimes(file, later, later); // a distinct mtime even on coarse file systems
    expect(await inventory.check('camp-3')).toEqual({ known: true });
    expect(await inventory.check('camp-4')).toEqual({ known: true });
    expect(await inventory.check('camp-1')).toMatchObject({ known: false });
  });

  it('INVENTORY_FILE: a bad or missing file is an error, not "unknown"', async () => {
    const dir = await tempDir();
    const file = join(dir, 'inventory.json');
    await writeFile(file, '{"campaigns": "camp-1"}');
    const bad = createInventory(
      { url: undefined, file },
      { genesys: unusedGenesys, timeoutMs: 1000 },
    );
    await expect(bad.check('camp-1')).rejects.toThrow(/array of campaign ids/);
    await writeFile(file, 'not json');
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    await expect(bad.check('camp-1')).rejects.toThrow(/not readable JSON/);
    const missing = createInventory(
      { url: undefined, file: join(dir, 'nope.json') },
      { genesys: unusedGenesys, timeoutMs: 1000 },
    );
    await expect(missing.check('camp-1')).rejects.toBeInstanceOf(InventoryError);
  });

  it('without URL or file: known when the campaign exists in Genesys Cloud', async () => {
    const sim = await simWith();
    cleanups.push(() => sim.close());
    await sim.createCampaign({ id: 'camp-real', contactCount: 5 });
    const { client } = clientFor(sim);
    const inventory = createInventory(
      { url: undefined, file: undefined },
      { genesys: client, timeoutMs: 1000 },
    );
    expect(inventory.source).toBe('genesys');
    const known = await inventory.check('camp-real');
    expect(known).toMatchObject({ known: true, campaign: { id: 'camp-real' } });
    expect(await inventory.check('camp-ghost')).toMatchObject({
      known: false,
      reason: expect.stringContaining('camp-ghost') as unknown,
    });
    expect((await apiRequests(sim)).map((r) => r.status)).toEqual([200, 404]);
  });
});
