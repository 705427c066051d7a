export { RunStore } from './run-store';
export type { RunStoreOptions, IntakeInput, IntakeResult, DuplicateReason } from './run-store';
export type { StoredRun, StagePatch } from './record';
export { runKeys } from './keys';
export type { RunKeys } from './keys';
