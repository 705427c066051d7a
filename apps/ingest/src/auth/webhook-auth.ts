import { createApiKeyCheck, presentedApiKey } from './api-key';
import {
  decodeSecret,
  checkSignatureHeaders,
  verifySignature,
  type SignatureHeaders,
} from './standard-webhooks';

export interface WebhookAuthConfig {
  auth: 'required' | 'none';
  secrets: readonly string[];
  apiKeys: readonly string[];
}

/** What can be decided from the headers alone. */
export type AuthPrecheck =
  | { kind: 'pass'; method: 'none' | 'api-key' }
  | { kind: 'needs-body'; signature: SignatureHeaders }
  | { kind: 'fail'; reason: string };

export interface WebhookAuth {
  precheck(headers: Headers, nowSeconds: number): AuthPrecheck;
  /** For `needs-body`: the signature over the raw bytes. */
  verifyBody(
    signature: SignatureHeaders,
    body: Uint8Array,
    nowSeconds: number,
  ): { ok: true } | { ok: false; reason: string };
}

export const signatureHeaders = (headers: Headers): SignatureHeaders => ({
  id: headers.get('webhook-id') ?? undefined,
  timestamp: headers.get('webhook-timestamp') ?? undefined,
  signature: headers.get('webhook-signature') ?? undefined,
});

/**
 * API keys are checked before the body is read; a signature needs the raw body, but its headers
 * and timestamp are checked first. Either method is enough. Reasons never include secrets.
 */
export function createWebhookAuth(cfg: WebhookAuthConfig): WebhookAuth {
  const keys = cfg.secrets.map(decodeSecret);
  const keyOk = createApiKeyCheck(cfg.apiKeys);
  return {
    precheck(headers, nowSeconds) {
      if (cfg.auth === 'none') return { kind: 'pass', method: 'none' };
      const apiKey = presentedApiKey(headers);
      if (apiKey !== undefined && cfg.apiKeys.length > 0 && keyOk(apiKey))
        return { kind: 'pass', method: 'api-key' };
      const signature = signatureHeaders(headers);
      if (signature.signature !== undefined && keys.length > 0) {
        const early = checkSignatureHeaders(signature, nowSeconds);
        return early.ok
          ? { kind: 'needs-body', signature }
          : { kind: 'fail', reason: early.reason };
      }
      if (apiKey !== undefined)
        return {
          kind: 'fail',
          reason: cfg.apiKeys.length > 0 ? 'unknown api key' : 'api keys are not configured',
        };
      if (signature.signature !== undefined)
        return { kind: 'fail', reason: 'signatures are not configured' };
      return { kind: 'fail', reason: 'no credentials' };
    },
    verifyBody(signature, body, nowSeconds) {
      return verifySignature(signature, body, keys, nowSeconds);
    },
  };
}
