import type { IntakeInput } from './run-store';

/** A finish of camp-1 at 2024-05-01T10:00:00Z received a second later, for the run store's tests. */
export const finishInput = (over: Partial<IntakeInput> = {}): IntakeInput => ({
  eventId: 'evt-1',
  campaignId: 'camp-1',
  status: 'completed',
  occurredAt: '2024-05-01T10:00:00.000Z',
  now: '2024-05-01T10:00:01.000Z',
  ...over,
});
