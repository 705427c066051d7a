import * as v from 'valibot';

/**
 * One valibot issue on one line: `data.campaignId: Invalid type: ...`, or the message alone for an
 * issue about the whole value. (valibot's own `v.summarize` is multi-line, made for a terminal.)
 */
export function formatIssue(issue: v.BaseIssue<unknown>): string {
  const path = v.getDotPath(issue);
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * The first `max` issues as `path: message`, joined with `; `, and `(and N more)` when some are
 * left out: one line for an error message, a log field or a 400 answer.
 */
export function formatIssues(issues: readonly v.BaseIssue<unknown>[], max = 3): string {
  const shown = issues.slice(0, Math.max(1, max)).map(formatIssue).join('; ');
  const more = issues.length - Math.max(1, max);
  return more > 0 ? `${shown} (and ${more} more)` : shown;
}
