import { defineConfig } from 'vitest/config';

/**
 * The soak: minutes long, so apart from `npm test` (`npm run test:soak`; SOAK_SECONDS, SOAK_RPS and
 * SOAK_SAMPLE_SECONDS tune it). Its files end in `.soak.ts`, which the default config never picks up.
 */
// biome-ignore lint/style/noDefaultExport: vitest reads its configuration from the default export.
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.ts'],
    // The soak sets its own test timeout from SOAK_SECONDS.
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
