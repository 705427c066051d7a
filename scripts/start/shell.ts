/** Quotes one argument for a POSIX shell (bash, zsh, sh): single quotes, `'` as `'\''`. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `scheme://user:pass@host` -> `scheme://***@host`, so a printed URL never shows a password. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/)[^/@\s]*@/g, '$1***@');
}

/** The host to print in a URL: a wildcard bind address is reached through loopback. */
export function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
