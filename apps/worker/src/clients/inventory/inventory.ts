import { RequestError } from 'got';
import { http } from '../http-client';
import type { Config } from '@wrapup/shared';
import type { GenesysClient } from '../genesys/client';
import type { Campaign } from '../genesys/schemas';
import { InventoryError } from './error';
import { createFileIds } from './file';

export { InventoryError } from './error';

export type InventoryResult =
  /** `campaign` is there when the check asked Genesys Cloud (saves the caller a second call). */
  { known: true; campaign?: Campaign } | { known: false; reason: string };

export interface Inventory {
  /** Which source answers: INVENTORY_URL, INVENTORY_FILE, or Genesys Cloud itself. */
  readonly source: 'url' | 'file' | 'genesys';
  /** Known or not; throws InventoryError (or GenesysError) when the source cannot answer. */
  check(campaignId: string): Promise<InventoryResult>;
}

export interface InventoryDeps {
  genesys: Pick<GenesysClient, 'getCampaign'>;
  /** Timeout of an INVENTORY_URL lookup. */
  timeoutMs: number;
}

/** The campaign inventory chosen by the config: URL, else file, else "exists in Genesys Cloud". */
export function createInventory(config: Config['inventory'], deps: InventoryDeps): Inventory {
  if (config.url) return urlInventory(config.url, deps.timeoutMs);
  if (config.file) return fileInventory(config.file);
  return {
    source: 'genesys',
    async check(campaignId) {
      const campaign = await deps.genesys.getCampaign(campaignId);
      return campaign
        ? { known: true, campaign }
        : { known: false, reason: `campaign ${campaignId} does not exist in Genesys Cloud` };
    },
  };
}

function urlInventory(template: string, timeoutMs: number): Inventory {
  return {
    source: 'url',
    async check(campaignId) {
      const url = template.replaceAll('{campaignId}', encodeURIComponent(campaignId));
      let status: number;
      try {
        const res = await http(url, {
          headers: { accept: 'application/json' },
          timeout: { request: timeoutMs },
          // an inventory URL may redirect (Genesys, notifier and warehouse calls never follow one)
          followRedirect: true,
        });
        status = res.statusCode;
      } catch (err) {
        const code = err instanceof RequestError ? err.code : 'ERR_REQUEST';
        throw new InventoryError(`inventory lookup for ${campaignId} failed: ${code}`, {
          cause: err,
        });
      }
      if (status === 200) return { known: true };
      if (status === 404)
        return { known: false, reason: `campaign ${campaignId} is not in the inventory (404)` };
      throw new InventoryError(`inventory lookup for ${campaignId} answered ${status}`, { status });
    },
  };
}

function fileInventory(path: string): Inventory {
  const ids = createFileIds(path);
  return {
    source: 'file',
    async check(campaignId) {
      return (await ids()).has(campaignId)
        ? { known: true }
        : { known: false, reason: `campaign ${campaignId} is not listed in the inventory file` };
    },
  };
}
