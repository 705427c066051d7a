import { createHash } from 'node:crypto';

const digest = (...parts: string[]) =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

/**
 * One campaign run = one campaign finishing at one moment. Both ids are deterministic so a
 * redelivered event or a re-run job rewrites the same report. (BullMQ job ids may not contain
 * ':', which campaign ids may, hence the hash.)
 */
export const runIdFor = (campaignId: string, occurredAt: string) =>
  `run-${digest(campaignId, occurredAt)}`;
export const reportIdFor = (runId: string) => `rpt-${runId.replace(/^run-/, '')}`;
export const hashId = digest;
