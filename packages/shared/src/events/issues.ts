import type * as v from 'valibot';

/** One problem with a payload: a dotted path (`data.campaignId`, '' for the whole body) and a readable message. */
export interface PayloadIssue {
  path: string;
  message: string;
}

export const dottedPath = (issue: v.BaseIssue<unknown>): string =>
  (issue.path ?? []).map((item) => String(item.key)).join('.');

/** valibot issues -> PayloadIssues; a missing required field reads "is required". */
export function fromValibot(issues: readonly v.BaseIssue<unknown>[]): PayloadIssue[] {
  const out: PayloadIssue[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    const path = dottedPath(issue);
    // valibot reports a missing key with the parent object's message; say what happened instead.
    const missing = issue.input === undefined && issue.kind === 'schema' && path !== '';
    const message = missing ? 'is required' : issue.message;
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out;
}
