import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Hono environment shared by every simulator route. */
export interface SimEnv {
  Bindings: HttpBindings;
  Variables: {
    correlationId: string;
    /** Short hash of the bearer token, for the request log. */
    tokenHash: string | null;
    fault: 'error' | 'drop' | undefined;
  };
}

export type SimContext = Context<SimEnv>;

/** A Genesys-style error answer: `{message, code, status, contextId, details, errors}`. */
export function genesysError(
  c: SimContext,
  status: ContentfulStatusCode,
  code: string,
  message: string,
): Response {
  return c.json(
    {
      message,
      code,
      status,
      messageParams: {},
      contextId: c.get('correlationId'),
      details: [],
      errors: [],
    },
    status,
  );
}
