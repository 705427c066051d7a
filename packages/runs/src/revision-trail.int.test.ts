import { describe, expect, it } from 'vitest';
import { finishInput, useIntakeHarness } from './testing/intake';

const h = useIntakeHarness('revision');

/** The final re-check's trail: fields on a reported run, without moving it (annotateReported). */
describe('RunStore revision trail', () => {
  it('records the revision on a delivered run without moving it; a run in flight is left alone', async () => {
    const { runId } = await h.intake(finishInput());
    // not reported yet: nothing written
    expect(await h.store.annotateReported(runId, { revision: 2 })).toBe(false);
    expect((await h.store.get(runId))?.revision).toBeUndefined();

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

    // a replay reopens it: the trail is the replay's until it is delivered again
    await h.store.markReplay(runId);
    expect(await h.store.annotateReported(runId, { finalOutcome: 'late' })).toBe(false);
    expect((await h.store.get(runId))?.finalOutcome).toMatch(/^revised/);
    expect(await h.store.annotateReported('run-missing', { revision: 2 })).toBe(false);
  });
});
