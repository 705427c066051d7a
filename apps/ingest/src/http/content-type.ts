/** `application/json`, `application/<x>+json`, `text/json`, with or without parameters. */
export function isJsonContentType(value: string | null): boolean {
  if (!value) return false;
  const type = value.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return (
    type === 'application/json' ||
    type === 'text/json' ||
    /^application\/[a-z0-9.+-]+\+json$/.test(type)
  );
}
