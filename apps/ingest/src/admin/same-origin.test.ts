import { describe, expect, it } from 'vitest';
import { isCrossSiteWrite, jsonOrEmptyBody } from './same-origin';

const req = (
  method: string,
  headers: Record<string, string>,
  url = 'http://127.0.0.1:3000/admin/x',
) => ({
  method,
  url,
  header: (name: string) => headers[name],
});

describe('isCrossSiteWrite', () => {
  it('never refuses reads', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      expect(
        isCrossSiteWrite(
          req(method, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }),
        ),
      ).toBe(false);
    }
  });

  it('lets Sec-Fetch-Site decide when present: only same-origin passes', () => {
    const own = { origin: 'http://127.0.0.1:3000' };
    expect(isCrossSiteWrite(req('POST', { 'sec-fetch-site': 'same-origin' }))).toBe(false);
    expect(isCrossSiteWrite(req('POST', { 'sec-fetch-site': 'Same-Origin ' }))).toBe(false);
    for (const site of ['cross-site', 'same-site', 'none', 'bogus', '']) {
      expect(isCrossSiteWrite(req('POST', { 'sec-fetch-site': site, ...own })), site).toBe(true);
    }
  });

  it('compares Origin with the scheme and Host the server saw when Sec-Fetch-Site is absent', () => {
    expect(
      isCrossSiteWrite(req('POST', { origin: 'http://127.0.0.1:3000', host: '127.0.0.1:3000' })),
    ).toBe(false);
    expect(
      isCrossSiteWrite(req('PUT', { origin: 'http://admin.example', host: 'admin.example:80' })),
    ).toBe(false);
    expect(
      isCrossSiteWrite(
        req(
          'POST',
          { origin: 'https://admin.example', host: 'admin.example' },
          'https://admin.example/admin/x',
        ),
      ),
    ).toBe(false);
    for (const origin of [
      'https://127.0.0.1:3000',
      'http://127.0.0.1:3001',
      'http://localhost:3000',
      'null',
      'not a url',
    ]) {
      expect(isCrossSiteWrite(req('POST', { origin, host: '127.0.0.1:3000' })), origin).toBe(true);
    }
  });

  it('allows a client that sends neither header (curl, scripts)', () => {
    expect(isCrossSiteWrite(req('POST', {}))).toBe(false);
  });
});

describe('jsonOrEmptyBody', () => {
  it('accepts JSON, or no body without a content type', () => {
    expect(
      jsonOrEmptyBody(
        req('POST', { 'content-type': 'application/json; charset=utf-8', 'content-length': '2' }),
      ),
    ).toBe(true);
    expect(jsonOrEmptyBody(req('PUT', {}))).toBe(true);
    expect(jsonOrEmptyBody(req('PUT', { 'content-length': '0' }))).toBe(true);
  });

  it('refuses other content types, even empty, and a body without a type', () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
    ]) {
      expect(
        jsonOrEmptyBody(req('POST', { 'content-type': type, 'content-length': '0' })),
        type,
      ).toBe(false);
    }
    expect(jsonOrEmptyBody(req('POST', { 'content-length': '3' }))).toBe(false);
    expect(jsonOrEmptyBody(req('POST', { 'transfer-encoding': 'chunked' }))).toBe(false);
  });
});
