import { configDefaults, defineConfig } from 'vitest/config';

// The real-VS-Code tests (test/ui) run after the others, not beside them: on 2 cores, a
// workbench sharing the machine with the CPU-bound suites missed its UI timeouts when the host
// was slow (the walkthrough, twice in full runs on 2026-12-04, while it passed alone every time).
export default defineConfig({
  test: {
    globals: true,
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'core', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/ui/**'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'ui', include: ['test/ui/**/*.test.ts'], sequence: { groupOrder: 1 } } },
    ],
  },
});
