// The shutdown and reload helpers live in @wrapup/shared (one for every process); re-exported for
// the package index.
export { onReload, onShutdown, type ShutdownStep } from '@wrapup/shared';
