import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import got from 'got';

/**
 * Keep-alive agents shared by every outbound HTTP call of the process (Genesys, notifications,
 * inventory, HTTP warehouse): connections are reused instead of opened per call. Same settings as
 * Node's own global agent since Node 19 (idle sockets closed after 5 s, before a typical server
 * drops them), stated here so the behaviour does not depend on the Node version.
 */
export const keepAliveAgent = {
  http: new HttpAgent({ keepAlive: true, scheduling: 'lifo', timeout: 5000 }),
  https: new HttpsAgent({ keepAlive: true, scheduling: 'lifo', timeout: 5000 }),
};

/**
 * got with what every call here shares, merged once: keep-alive agents, no got retries (the
 * queues retry; the Genesys client extends this with got's retry), no redirects, every status
 * returned to the caller.
 */
export const http = got.extend({
  agent: keepAliveAgent,
  retry: { limit: 0 },
  throwHttpErrors: false,
  followRedirect: false,
});

/** Where a URL points, without path, query or credentials (webhook URLs often embed secrets). */
export const safeTarget = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return '<invalid url>';
  }
};
