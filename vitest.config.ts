import { defineConfig } from 'vitest/config';
import { PlainSummaryReporter } from './vitest.summary-reporter.ts';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    reporters: ['default', new PlainSummaryReporter()],
  },
});
