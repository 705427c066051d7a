import { describe, expect, it } from 'vitest';
import { finishInput, useIntakeHarness } from './testing/intake';

const h = useIntakeHarness('revision');

/** The final re-check's trail: fields on a reported run, without moving it (annotateReported). */
describe('RunStore revision trail', () => {
  it('records the revision on a run without moving it, also on one a replay reopened', async () => {
    const { runId } = await h.intake(finishInput());

    await h.store.setStage(runId, 'delivered', {
      outcome: 'delivered',
      revision: 1,
      finalDueAt: '2024-05-03T12:00:00.000Z',
    });
    const delivered = await h.store.get(runId);
    expect(delivered).toMatchObject({ stage: 'delivered', revision: 1 });

    expect(
      await h.store.annotateReported(runId, {
        revision: 2,
        finalizedAt: '2024-05-03T12:00:01.000Z',
        finalOutcome: 'revised: attempts 1500 → 1512 (+12)',
      }),
    ).toBe(true);
    const run = await h.store.get(runId);
    expect(run).toMatchObject({
      stage: 'delivered',
      outcome: 'delivered',
      revision: 2,
      finalDueAt: '2024-05-03T12:00:00.000Z',
      finalizedAt: '2024-05-03T12:00:01.000Z',
      finalOutcome: 'revised: attempts 1500 → 1512 (+12)',
    });
    expect(run?.stages).toEqual(delivered?.stages);
    // setStage still cannot move a delivered run
    await h.store.setStage(runId, 'waiting_for_analytics', { revision: 9 });
    expect((await h.store.get(runId))?.revision).toBe(2);

    // a replay reopens it: a final revision landing now is still recorded (the replay then
    // writes the next revision, final too), and the replay's stage is left as it is
    await h.store.markReplay(runId);
    const replaying = await h.store.get(runId);
    expect(await h.store.annotateReported(runId, { revision: 3, finalOutcome: 'unchanged' })).toBe(
      true,
    );
    expect(await h.store.get(runId)).toMatchObject({
      stage: replaying?.stage,
      revision: 3,
      finalOutcome: 'unchanged',
    });
    expect(await h.store.annotateReported('run-missing', { revision: 2 })).toBe(false);
  });
});
