import { defineConfig } from 'vitest/config';

/**
 * Two groups, run one after the other: everything else (in parallel, two files at a time), then
 * the heavy multi-process tests one by one, so a CPU-hungry chaos run never skews the timing of
 * the rate-limit or scale assertions on a 2-core machine.
 */
const heavy = ['test/chaos.int.test.ts', 'apps/worker/test/scale.int.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['{apps,packages}/*/{src,test}/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...heavy],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'heavy',
          include: heavy,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
